import { check, failed } from '../checks/catalog.js';
import { CliError } from '../errors.js';
import { loadCertManager, type CertManagerRelease } from '../manifests/cert-manager.js';
import { loadOperatorRelease, type OperatorRelease, type Role } from '../manifests/operator-release.js';
import { countChanges, type ClusterReport } from '../report/model.js';
import type { AppliedObject } from '../steps/apply.js';
import { takeoverWarnings, waitDeploymentsAvailable } from '../steps/apply.js';
import { resolveTopology, type Cluster } from '../steps/connect.js';
import { installCluster, operatorDeployments } from '../steps/install-operator.js';
import { evaluatePreflight, gatherAll, type ClusterFacts } from '../steps/preflight.js';
import { registerDataPlanes } from '../steps/register.js';
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

  const release = await ui.step('Load the operator release', async (s) => {
    const r = await loadOperatorRelease({ manifests: o.manifests, operatorVersion: o.operatorVersion, clusterScoped: o.clusterScoped });
    s.note(`k8ssandra-operator ${r.version}${r.cassOperatorVersion ? ` (cass-operator ${r.cassOperatorVersion})` : ''} from ${r.source}`);
    return r;
  });

  const facts = await ui.step('Preflight checks', async (s) => {
    const f = await gatherAll(clusters, roleOf, o.namespace);
    const found = evaluatePreflight(f, { controlPlane: cpName, namespace: o.namespace, operatorVersion: release.version, installCertManager: !o.skipCertManager, allowVersionChange: o.force });
    checks.push(...found);
    for (const c of found.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
    const bad = failed(found);
    if (bad.length) {
      const unreachable = bad.some((c) => c.id === 'K8S-REACHABLE');
      throw new CliError(unreachable ? 'unreachable' : 'checksFailed', `${bad.length} preflight check(s) failed: ${bad[0]!.message}`, { hint: bad[0]!.hint });
    }
    return f;
  });

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

  const applied = new Map<string, AppliedObject[]>();
  const elapsed = new Map<string, number>();
  await ui.step(o.dryRun ? 'Install the operator (server-side dry run)' : 'Install the operator', async (s) => {
    await Promise.all(clusters.map(async (c) => {
      const t = Date.now();
      const f = facts.find((x) => x.context === c.ctx.name)!;
      const objs = await installCluster({ cluster: c, role: roleOf(c.ctx.name), installCertManager: !f.certManager && !o.skipCertManager },
        release, certManager, { namespace: o.namespace, dryRun: o.dryRun, force: o.force, deadline }, (what) => s.update(`${c.ctx.name}: ${what}`));
      applied.set(c.ctx.name, objs);
      for (const w of takeoverWarnings(c.ctx.name, objs)) ui.warn(w);
      elapsed.set(c.ctx.name, Date.now() - t);
      const ch = countChanges(objs);
      s.note(`${c.ctx.name}: ${roleOf(c.ctx.name)}, ${objs.length} objects (${ch.created} created, ${ch.changed} changed, ${ch.unchanged} unchanged)`);
    }));
  });

  const registrations = out.registrations;
  if (dataPlanes.length) {
    await ui.step('Register data planes with the control plane', async (s) => {
      const r = await registerDataPlanes(cp, dataPlanes, { namespace: o.namespace, clusterScoped: o.clusterScoped, dryRun: o.dryRun, force: o.force,
        tokenTtlSeconds: o.tokenTtlSeconds, apiServers: o.apiServers, rotate: o.rotateTokens, interrupt: o.interrupt }, s.note);
      registrations.push(...r.registrations);
      checks.push(...r.checks);
      for (const [ctx, objs] of r.applied) {
        applied.set(ctx, [...(applied.get(ctx) ?? []), ...objs]);
        for (const w of takeoverWarnings(ctx, objs)) ui.warn(w);
      }
      for (const c of r.checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
      const bad = failed(r.checks);
      if (bad.length) throw new CliError('checksFailed', bad[0]!.message, { hint: bad[0]!.hint });
    });
  }

  const ready = new Map<string, boolean>();
  if (o.wait && !o.dryRun) {
    await ui.step('Wait for the operators to be available', async (s) => {
      await Promise.all(clusters.map(async (c) => {
        await waitDeploymentsAvailable(c.client, o.namespace, operatorDeployments(release), deadline);
        ready.set(c.ctx.name, true);
        s.note(`${c.ctx.name}: operator available`);
      }));
      checks.push(check('OPERATOR-READY', 'pass', `operator available in ${clusters.length} cluster(s)`));
    });
  }

  const clusterReports = clusters.map((c) => clusterReport(c, roleOf(c.ctx.name), facts, release, certManager, applied, elapsed, ready, o));
  out.clusters.push(...clusterReports);
  const changed = clusterReports.some((c) => c.changes.created + c.changes.changed > 0);
  out.summary = o.dryRun
    ? `dry run: ${describeChanges(clusterReports)}; nothing was changed`
    : changed ? `installed k8ssandra-operator ${release.version}: ${describeChanges(clusterReports)}`
      : `k8ssandra-operator ${release.version} is already installed as planned: nothing changed`;
  out.ok = o.dryRun || !o.wait || clusterReports.every((c) => c.ready);
}

async function loadCertManagerIfNeeded(o: InstallOptions, facts: ClusterFacts[], ui: Reporter): Promise<CertManagerRelease | undefined> {
  const missing = facts.filter((f) => !f.certManager).map((f) => f.context);
  if (!missing.length || o.skipCertManager) return undefined;
  return ui.step('Load cert-manager', async (s) => {
    const cm = await loadCertManager({ manifests: o.certManagerManifests });
    s.note(`cert-manager ${cm.version} from ${cm.source}, for ${missing.join(', ')}`);
    return cm;
  });
}

function clusterReport(c: Cluster, role: Role, facts: ClusterFacts[], release: OperatorRelease, cm: CertManagerRelease | undefined,
  applied: Map<string, AppliedObject[]>, elapsed: Map<string, number>, ready: Map<string, boolean>, o: InstallOptions): ClusterReport {
  const f = facts.find((x) => x.context === c.ctx.name)!;
  const objects = applied.get(c.ctx.name) ?? [];
  return {
    context: c.ctx.name, role, server: c.ctx.server, namespace: o.namespace, kubernetesVersion: f.version,
    operatorVersion: release.version, cassOperatorVersion: release.cassOperatorVersion,
    certManager: f.certManager ? 'present' : cm ? 'installed' : 'missing',
    ready: ready.get(c.ctx.name) ?? false, changes: countChanges(objects), objects, elapsedMs: elapsed.get(c.ctx.name) ?? 0,
  };
}

function describeChanges(cs: ClusterReport[]): string {
  return cs.map((c) => `${c.context} ${c.changes.created} created, ${c.changes.changed} changed, ${c.changes.unchanged} unchanged`).join('; ');
}
