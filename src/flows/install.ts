import { check, failed } from '../checks/catalog.js';
import { CliError } from '../errors.js';
import type { Role } from '../manifests/operator-release.js';
import { resolveTopology } from '../steps/connect.js';
import { readInstallRecords } from '../steps/install-record.js';
import { clusterReport, describeChanges, installStep, loadCertManagerIfNeeded, loadReleaseStep, preflightStep, registerStep,
  waitOperatorsStep } from '../steps/operator-setup.js';
import { checkRoutability, DEFAULT_PROBE, type ProbeSettings } from '../steps/routability.js';
import type { Reporter } from '../ui/reporter.js';
import { deadlineFrom } from '../util/wait.js';
import type { ClusterFlowOptions, FlowResult } from './result.js';

export interface InstallOptions extends ClusterFlowOptions {
  operatorVersion?: string;
  manifests?: string;
  certManagerManifests?: string;
  skipCertManager: boolean;
  clusterScoped: boolean;
  skipRoutability: boolean;
  /** Ports, image and timeout of the routability probe (default: the Cassandra ports, busybox, 2s). */
  probe?: ProbeSettings;
  apiServers: Record<string, string>;
  tokenTtlSeconds: number;
  confirm: (question: string) => Promise<boolean>;
  /** Mint fresh tokens for every registration (rotation), even where the stored ones still work. */
  rotateTokens?: boolean;
}

/**
 * `install`: resolve, preflight, routability, install, register, reconcile; one visible step each.
 * Every cluster is worked on in parallel within a step; a step ends when all clusters are done.
 */
export async function runInstall(o: InstallOptions, ui: Reporter, out: FlowResult): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  const checks = out.checks;
  out.dryRun = o.dryRun;

  const { clusters, cp, dataPlanes, roleOf } = await resolveTopology(ui, { kubeconfig: o.kubeconfig, contexts: o.contexts, controlPlane: o.controlPlane,
    log: ui.verbose, signal: o.interrupt?.signal, deadline, requestTimeoutMs: o.requestTimeoutMs });
  const cpName = cp.ctx.name;
  if (o.force) ui.warn('--force: fields that other field managers own will be taken over, and an operator of another version replaced');

  // What earlier runs installed, and from where: a re-run needs no flag that only the first run needed.
  const records = await readInstallRecords([cp, ...clusters.filter((c) => c !== cp)], o.namespace);
  const release = await loadReleaseStep({ manifests: o.manifests, operatorVersion: o.operatorVersion, clusterScoped: o.clusterScoped }, ui, [...records.values()]);
  const facts = await preflightStep(clusters, roleOf,
    { controlPlane: cpName, namespace: o.namespace, operatorVersion: release.version, installCertManager: !o.skipCertManager, allowVersionChange: o.force, release }, ui, checks);

  await ui.step('Routability between clusters', async (s) => {
    if (o.skipRoutability) {
      checks.push(check('ROUTABILITY', 'warn', 'pod-IP routability was not checked (--skip-routability)', { hint: 'run k8ssandra check before the first datacenter spans clusters' }));
      s.note(`${ui.style.mark.warn} skipped (--skip-routability): Cassandra needs pod IPs routable between clusters`);
      return;
    }
    if (o.dryRun) {
      checks.push(check('ROUTABILITY', 'warn', 'pod-IP routability is not probed in a dry run (it would create probe pods)', { hint: 'run k8ssandra check: it probes with temporary pods and changes nothing else' }));
      s.note(`${ui.style.mark.warn} not probed in a dry run; k8ssandra check probes`);
      return;
    }
    // A namespace the probe had to create is kept when the install goes on: it is the operator's.
    const r = await checkRoutability(clusters, { ...(o.probe ?? DEFAULT_PROBE), namespace: o.namespace, deadline, facts, keepCreatedNamespace: true },
      s.note, (what) => s.update(what));
    out.routability = r.report;
    checks.push(...r.checks);
    for (const c of r.checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
    const bad = failed(r.checks);
    if (bad.length) {
      throw new CliError('checksFailed', `${bad.length} pair(s) of clusters cannot reach each other's pod IPs (${bad[0]!.message}); nothing was installed`,
        { hint: `${bad[0]!.hint}; to install anyway, pass --skip-routability` });
    }
  });

  const certManager = await loadCertManagerIfNeeded(o, facts, ui, records);
  const plan = clusters.map((c) => `${c.ctx.name} (${roleOf(c.ctx.name)})`).join(', ');
  if (!o.dryRun && !(await o.confirm(`Install k8ssandra-operator ${release.version} into ${plan}?`))) {
    throw new CliError('interrupted', 'install cancelled', { hint: 'pass --yes to install without asking' });
  }

  const installed = await installStep(clusters, roleOf, facts, release, certManager, { ...o, deadline, records }, ui);
  if (dataPlanes.length) await registerStep(cp, dataPlanes, { ...o, rotate: o.rotateTokens }, ui, out, installed.applied);
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
