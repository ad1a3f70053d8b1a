import { check } from '../checks/catalog.js';
import { CliError } from '../errors.js';
import type { Role } from '../manifests/operator-release.js';
import { connect } from '../steps/connect.js';
import { clusterReport, describeChanges, installStep, loadCertManagerIfNeeded, loadReleaseStep, preflightStep, registerStep,
  waitOperatorsStep } from '../steps/operator-setup.js';
import type { Reporter } from '../ui/reporter.js';
import { deadlineFrom } from '../util/wait.js';
import type { FlowResult } from './result.js';

export interface InstallOptions {
  kubeconfig?: string;
  contexts: string[];
  controlPlane?: string;
  namespace: string;
  operatorVersion?: string;
  manifests?: string;
  certManagerManifests?: string;
  skipCertManager: boolean;
  clusterScoped: boolean;
  skipRoutability: boolean;
  apiServers: Record<string, string>;
  tokenTtlSeconds: number;
  dryRun: boolean;
  wait: boolean;
  force: boolean;
  timeoutMs: number;
  confirm: (question: string) => Promise<boolean>;
}

/**
 * `install`: resolve, preflight, routability, install, register, reconcile; one visible step each.
 * Every cluster is worked on in parallel within a step; a step ends when all clusters are done.
 */
export async function runInstall(o: InstallOptions, ui: Reporter, out: FlowResult): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  const checks = out.checks;
  out.dryRun = o.dryRun;

  const clusters = await ui.step('Resolve contexts', async (s) => {
    const cs = await connect({ kubeconfig: o.kubeconfig, contexts: o.contexts, log: ui.verbose });
    for (const c of cs) s.note(`${c.ctx.name} -> ${c.ctx.server}`);
    return cs;
  });
  const cpName = o.controlPlane ?? clusters[0]!.ctx.name;
  if (!clusters.some((c) => c.ctx.name === cpName)) {
    throw new CliError('usage', `--control-plane ${cpName} is not one of --contexts`, { hint: `add it to --contexts, e.g. --contexts ${cpName},${o.contexts.join(',')}` });
  }
  const roleOf = (ctx: string): Role => (ctx === cpName ? 'control-plane' : 'data-plane');
  const cp = clusters.find((c) => c.ctx.name === cpName)!;
  const dataPlanes = clusters.filter((c) => c !== cp);

  const release = await loadReleaseStep({ manifests: o.manifests, operatorVersion: o.operatorVersion, clusterScoped: o.clusterScoped }, ui);
  const facts = await preflightStep(clusters, roleOf,
    { controlPlane: cpName, namespace: o.namespace, operatorVersion: release.version, installCertManager: !o.skipCertManager }, ui, checks);

  await ui.step('Routability between clusters', async (s) => {
    if (o.skipRoutability) {
      checks.push(check('ROUTABILITY', 'warn', 'pod-IP routability was not checked (--skip-routability)', { hint: 'run k8ssandra check before the first datacenter spans clusters' }));
      s.note(`${ui.style.mark.warn} skipped (--skip-routability): Cassandra needs pod IPs routable between clusters`);
      return;
    }
    checks.push(check('ROUTABILITY', 'warn', 'pod-IP routability is not probed by this version of install', { hint: 'pass --skip-routability to acknowledge' }));
    s.note(`${ui.style.mark.warn} not probed by this version; pass --skip-routability to acknowledge`);
  });

  const certManager = await loadCertManagerIfNeeded(o, facts, ui);
  const plan = clusters.map((c) => `${c.ctx.name} (${roleOf(c.ctx.name)})`).join(', ');
  if (!o.dryRun && !(await o.confirm(`Install k8ssandra-operator ${release.version} into ${plan}?`))) {
    throw new CliError('interrupted', 'install cancelled', { hint: 'pass --yes to install without asking' });
  }

  const installed = await installStep(clusters, roleOf, facts, release, certManager, { ...o, deadline }, ui);
  if (dataPlanes.length) await registerStep(cp, dataPlanes, o, ui, out, installed.applied);
  const ready = o.wait && !o.dryRun ? await waitOperatorsStep(clusters, o.namespace, release, deadline, ui, checks) : new Map<string, boolean>();

  const clusterReports = clusters.map((c) => clusterReport(c, roleOf(c.ctx.name), facts, release, certManager, installed, ready, o.namespace));
  out.clusters.push(...clusterReports);
  const changed = clusterReports.some((c) => c.changes.created + c.changes.changed > 0);
  out.summary = o.dryRun
    ? `dry run: ${describeChanges(clusterReports)}; nothing was changed`
    : changed ? `installed k8ssandra-operator ${release.version}: ${describeChanges(clusterReports)}`
      : `k8ssandra-operator ${release.version} is already installed as planned: nothing changed`;
  out.ok = o.dryRun || !o.wait || clusterReports.every((c) => c.ready);
}
