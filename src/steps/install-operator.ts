import type { CertManagerRelease } from '../manifests/cert-manager.js';
import { takeoverWarnings } from '../kube/apply.js';

import { countChanges } from '../report/model.js';
import { forEachCluster } from '../run/fan-out.js';
import { must, type OperatorRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';
import { version } from '../version.js';
import { renderForCluster, splitForApply, type OperatorRelease, type Role } from '../manifests/operator-release.js';
import type { KubeObject } from '../kube/resources.js';
import { installRecordObject, OFFICIAL, type InstallRecord } from '../plan/install-record.js';
import { applyAll, waitCrdsEstablished, waitDeploymentsAvailable, type AppliedObject } from '../kube/apply.js';
import type { Cluster } from '../kube/connect.js';

/** `record`: what the install record in the cluster will say (applied with the release). */
export interface InstallTarget { cluster: Cluster; role: Role; installCertManager: boolean; record: InstallRecord }
export interface InstallOptions { namespace: string; dryRun: boolean; force: boolean; deadline: number }

/** The objects one cluster gets, in apply order: cert-manager (when missing), then the operator release. */
export function planCluster(target: InstallTarget, release: OperatorRelease, certManager: CertManagerRelease | undefined, namespace: string) {
  return {
    certManager: target.installCertManager && certManager ? certManager.objects : [],
    operator: [...renderForCluster(release, target.role, namespace), installRecordObject(namespace, target.record)],
  };
}

const deploymentsIn = (objs: KubeObject[]) => objs.filter((o) => o.kind === 'Deployment');

/** Installs into one cluster: each group's namespaces and CRDs first and waited for, then the rest. */
export async function installCluster(target: InstallTarget, release: OperatorRelease, certManager: CertManagerRelease | undefined,
  opts: InstallOptions, progress: (what: string) => void, done: (o: AppliedObject) => void = () => {}): Promise<AppliedObject[]> {
  const { client } = target.cluster;
  const plan = planCluster(target, release, certManager, opts.namespace);
  const applied: AppliedObject[] = [];
  const record = (objs: AppliedObject[]) => { applied.push(...objs); objs.forEach(done); };
  const applyGroup = async (objs: KubeObject[]) => {
    const { first, rest } = splitForApply(objs);
    const firsts = await applyAll(client, first, opts);
    record(firsts);
    // Unchanged CRDs were established by an earlier run; wait only for what this run wrote.
    const written = first.filter((_, i) => firsts[i]!.action !== 'unchanged');
    if (!opts.dryRun) await waitCrdsEstablished(client, written, opts.deadline);
    record(await applyAll(client, rest, opts));
  };
  if (plan.certManager.length) {
    progress('cert-manager');
    await applyGroup(plan.certManager);
    // cert-manager's webhook must serve before Issuers and Certificates of the operator can be admitted.
    const cm = deploymentsIn(plan.certManager);
    if (!opts.dryRun && cm.length) await waitDeploymentsAvailable(client, cm[0]!.metadata.namespace!, cm.map((d) => d.metadata.name), opts.deadline);
  }
  progress('operator');
  await applyGroup(plan.operator);
  return applied;
}

export const operatorDeployments = (release: OperatorRelease) => deploymentsIn(release.byRole['data-plane']).map((d) => d.metadata.name);

/** Installs cert-manager (where missing) and the operator in its role into every cluster of `installInto`, in parallel. */
export const installOperators: Step<OperatorRun> = {
  title: (ctx) => (ctx.dryRun ? 'Install the operator (server-side dry run)' : 'Install the operator'),
  async run(ctx, s) {
    const release = must(ctx.release, 'the release');
    ctx.changing = true;
    await forEachCluster('install', ctx.installInto, async (t) => {
      const started = Date.now();
      const context = t.cluster.ctx.name;
      const role = t.role === 'control-plane' ? 'control-plane' : 'data-plane';
      const f = ctx.facts.find((x) => x.context === context)!;
      const installCertManager = !f.certManager && !ctx.certManagerSource.skipCertManager;
      const certManager = installCertManager ? ctx.certManager : undefined;
      const record = recordFor(role, release, certManager, f.certManagerOurs ? ctx.records.get(context) : undefined);
      t.operatorVersion = release.version;
      t.cassOperatorVersion = release.cassOperatorVersion;
      t.certManager = f.certManager ? 'present' : certManager ? 'installed' : 'missing';
      try {
        const objs = await installCluster({ cluster: t.cluster, role, installCertManager, record }, release, ctx.certManager,
          { namespace: ctx.namespace, dryRun: ctx.dryRun, force: ctx.force, deadline: ctx.deadline }, (what) => s.update(`${context}: ${what}`), (o) => t.objects.push(o));
        for (const w of takeoverWarnings(context, objs)) ctx.ui.warn(w);
        const ch = countChanges(objs);
        s.note(`${context}: ${role}, ${objs.length} objects (${ch.created} created, ${ch.changed} changed, ${ch.unchanged} unchanged)`);
      } finally {
        t.elapsedMs = Date.now() - started;
      }
    });
  },
};

/** What this run installs into a cluster, for its install record; cert-manager as applied now, else as recorded before. */
export function recordFor(role: Role, release: OperatorRelease, certManager: CertManagerRelease | undefined, before: InstallRecord | undefined): InstallRecord {
  return {
    tool: version(), role, clusterScoped: release.clusterScoped, operatorVersion: release.version, cassOperatorVersion: release.cassOperatorVersion,
    operatorSource: release.manifestsPath ?? OFFICIAL,
    ...(certManager ? { certManagerVersion: certManager.version, certManagerSource: certManager.path ?? OFFICIAL }
      : before?.certManagerVersion ? { certManagerVersion: before.certManagerVersion, certManagerSource: before.certManagerSource } : {}),
  };
}
