import { check, failed, type Check } from '../checks/catalog.js';
import { CliError } from '../errors.js';
import type { FlowResult } from '../flows/result.js';
import { loadCertManager, type CertManagerRelease } from '../manifests/cert-manager.js';
import { loadOperatorRelease, type OperatorRelease, type ReleaseSourceOptions, type Role } from '../manifests/operator-release.js';
import { countChanges, type ClusterReport } from '../report/model.js';
import type { Reporter } from '../ui/reporter.js';
import { takeoverWarnings, waitDeploymentsAvailable, type AppliedObject } from './apply.js';
import type { Cluster } from './connect.js';
import { installCluster, operatorDeployments } from './install-operator.js';
import { evaluatePreflight, gatherAll, type ClusterFacts, type PreflightPlan } from './preflight.js';
import { registerDataPlanes, type RegisterOptions } from './register.js';
import { OFFICIAL, recordedCertManager, recordedOperatorSource, type InstallRecord } from '../plan/install-record.js';
import { version } from '../version.js';

/**
 * The visible steps that put the operator into clusters and register data planes, shared by every
 * flow that does it (`install`, `add-dc`): each runs its clusters in parallel and reports as it goes.
 */

export type RoleOf = (context: string) => Role;

/**
 * Loads the release: --manifests, else the source that the install records name (the control plane's
 * first: put it first in `records`), so that a re-run needs no flag that only the first run needed,
 * else the official release.
 */
export function loadReleaseStep(o: ReleaseSourceOptions, ui: Reporter, records: InstallRecord[] = []): Promise<OperatorRelease> {
  return ui.step('Load the operator release', async (s) => {
    const recorded = o.manifests ? undefined : recordedOperatorSource(records, { clusterScoped: !!o.clusterScoped, version: o.operatorVersion });
    const r = await loadOperatorRelease(recorded ? { ...o, manifests: recorded.path } : o);
    s.note(`k8ssandra-operator ${r.version}${r.cassOperatorVersion ? ` (cass-operator ${r.cassOperatorVersion})` : ''} from ${r.source}${recorded ? ' (as recorded at install)' : ''}`);
    return r;
  });
}

/**
 * Gathers facts from every cluster and records the verdicts; a failed check stops the flow. `keep`
 * drops verdicts that do not apply (a flow that only reads some of the clusters).
 */
export function preflightStep(clusters: Cluster[], roleOf: RoleOf, plan: PreflightPlan, ui: Reporter, checks: Check[],
  keep: (c: Check) => boolean = () => true): Promise<ClusterFacts[]> {
  return ui.step('Preflight checks', async (s) => {
    const f = await gatherAll(clusters, roleOf, plan.namespace, plan.release);
    const found = evaluatePreflight(f, plan).filter(keep);
    checks.push(...found);
    for (const c of found.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
    const bad = failed(found);
    if (bad.length) {
      const unreachable = bad.some((c) => c.id === 'K8S-REACHABLE');
      throw new CliError(unreachable ? 'unreachable' : 'checksFailed', `${bad.length} preflight check(s) failed: ${bad[0]!.message}`, { hint: bad[0]!.hint });
    }
    return f;
  });
}

export interface CertManagerSource { certManagerManifests?: string; skipCertManager: boolean }

/**
 * cert-manager for the clusters that lack it, and for those where k8ssandra installed it (applied again
 * on every run, so that a run killed half-way through it converges): --cert-manager-manifests, else the
 * source the install records name, else the official release.
 */
export async function loadCertManagerIfNeeded(o: CertManagerSource, facts: ClusterFacts[], ui: Reporter,
  records: Map<string, InstallRecord> = new Map()): Promise<CertManagerRelease | undefined> {
  const missing = facts.filter((f) => !f.certManager).map((f) => f.context);
  if (!missing.length || o.skipCertManager) return undefined;
  return ui.step('Load cert-manager', async (s) => {
    // Any cluster of the installation will do: one installation uses one cert-manager source.
    const recorded = o.certManagerManifests ? undefined : recordedCertManager([...records.values()]);
    const cm = await loadCertManager({ manifests: o.certManagerManifests ?? recorded?.path, version: recorded?.version });
    s.note(`cert-manager ${cm.version} from ${cm.source}${recorded ? ' (as recorded at install)' : ''}, for ${missing.join(', ')}`);
    return cm;
  });
}

export interface InstallStepOptions {
  namespace: string; dryRun: boolean; force: boolean; skipCertManager: boolean; deadline: number;
  /** The install records read before (what an earlier run installed): cert-manager's entry is kept where this run leaves it alone. */
  records?: Map<string, InstallRecord>;
}
export interface Installed { applied: Map<string, AppliedObject[]>; elapsed: Map<string, number> }

/** Installs cert-manager (where missing) and the operator in its role into every cluster, in parallel. */
export async function installStep(clusters: Cluster[], roleOf: RoleOf, facts: ClusterFacts[], release: OperatorRelease,
  certManager: CertManagerRelease | undefined, o: InstallStepOptions, ui: Reporter): Promise<Installed> {
  const applied = new Map<string, AppliedObject[]>();
  const elapsed = new Map<string, number>();
  await ui.step(o.dryRun ? 'Install the operator (server-side dry run)' : 'Install the operator', async (s) => {
    await Promise.all(clusters.map(async (c) => {
      const t = Date.now();
      const f = facts.find((x) => x.context === c.ctx.name)!;
      const installCertManager = !f.certManager && !o.skipCertManager;
      const record = recordFor(roleOf(c.ctx.name), release, installCertManager ? certManager : undefined, f.certManagerOurs ? o.records?.get(c.ctx.name) : undefined);
      const objs = await installCluster({ cluster: c, role: roleOf(c.ctx.name), installCertManager, record },
        release, certManager, { namespace: o.namespace, dryRun: o.dryRun, force: o.force, deadline: o.deadline }, (what) => s.update(`${c.ctx.name}: ${what}`));
      applied.set(c.ctx.name, objs);
      for (const w of takeoverWarnings(c.ctx.name, objs)) ui.warn(w);
      elapsed.set(c.ctx.name, Date.now() - t);
      const ch = countChanges(objs);
      s.note(`${c.ctx.name}: ${roleOf(c.ctx.name)}, ${objs.length} objects (${ch.created} created, ${ch.changed} changed, ${ch.unchanged} unchanged)`);
    }));
  });
  return { applied, elapsed };
}

/** What this run installs into a cluster, for its install record; cert-manager as applied now, else as recorded before. */
function recordFor(role: Role, release: OperatorRelease, certManager: CertManagerRelease | undefined, before: InstallRecord | undefined): InstallRecord {
  return {
    tool: version(), role, clusterScoped: release.clusterScoped, operatorVersion: release.version, cassOperatorVersion: release.cassOperatorVersion,
    operatorSource: release.manifestsPath ?? OFFICIAL,
    ...(certManager ? { certManagerVersion: certManager.version, certManagerSource: certManager.path ?? OFFICIAL }
      : before?.certManagerVersion ? { certManagerVersion: before.certManagerVersion, certManagerSource: before.certManagerSource } : {}),
  };
}

/** Registers the data planes with the control plane; the registrations, checks and objects go to the flow's result. */
export function registerStep(cp: Cluster, dataPlanes: Cluster[], o: RegisterOptions, ui: Reporter, out: FlowResult,
  applied: Map<string, AppliedObject[]>): Promise<void> {
  return ui.step('Register data planes with the control plane', async (s) => {
    const r = await registerDataPlanes(cp, dataPlanes, o, s.note);
    out.registrations.push(...r.registrations);
    out.checks.push(...r.checks);
    for (const [ctx, objs] of r.applied) {
      applied.set(ctx, [...(applied.get(ctx) ?? []), ...objs]);
      for (const w of takeoverWarnings(ctx, objs)) ui.warn(w);
    }
    for (const c of r.checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
    const bad = failed(r.checks);
    if (bad.length) throw new CliError('checksFailed', bad[0]!.message, { hint: bad[0]!.hint });
  });
}

/** Waits until the operator Deployments are available everywhere (the control plane restarts after registration). */
export async function waitOperatorsStep(clusters: Cluster[], namespace: string, release: OperatorRelease, deadline: number,
  ui: Reporter, checks: Check[]): Promise<Map<string, boolean>> {
  const ready = new Map<string, boolean>();
  await ui.step('Wait for the operators to be available', async (s) => {
    await Promise.all(clusters.map(async (c) => {
      await waitDeploymentsAvailable(c.client, namespace, operatorDeployments(release), deadline);
      ready.set(c.ctx.name, true);
      s.note(`${c.ctx.name}: operator available`);
    }));
    checks.push(check('OPERATOR-READY', 'pass', `operator available in ${clusters.length} cluster(s)`));
  });
  return ready;
}

export function clusterReport(c: Cluster, role: Role, facts: ClusterFacts[], release: OperatorRelease, cm: CertManagerRelease | undefined,
  installed: Installed, ready: Map<string, boolean>, namespace: string): ClusterReport {
  const f = facts.find((x) => x.context === c.ctx.name)!;
  const objects = installed.applied.get(c.ctx.name) ?? [];
  return {
    context: c.ctx.name, role, server: c.ctx.server, namespace, kubernetesVersion: f.version,
    operatorVersion: release.version, cassOperatorVersion: release.cassOperatorVersion,
    certManager: f.certManager ? 'present' : cm ? 'installed' : 'missing',
    ready: ready.get(c.ctx.name) ?? false, changes: countChanges(objects), objects, elapsedMs: installed.elapsed.get(c.ctx.name) ?? 0,
  };
}

export function describeChanges(cs: ClusterReport[]): string {
  return cs.map((c) => `${c.context} ${c.changes.created} created, ${c.changes.changed} changed, ${c.changes.unchanged} unchanged`).join('; ');
}
