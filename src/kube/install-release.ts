// Installing a release into one cluster: the order (cert-manager, then the operator; in each, namespaces
// and CRDs first and waited for), applied through the one apply path. The step that runs it in every
// cluster is src/steps/install-operator.ts.
import type { CertManagerRelease } from '../manifests/cert-manager.js';
import { renderForCluster, splitForApply, type OperatorRelease, type Role } from '../manifests/operator-release.js';
import { installRecordObject, type InstallRecord } from '../plan/install-record.js';
import { applyAll, listAhead, waitCrdsEstablished, waitDeploymentsAvailable, type AppliedObject, type MetadataLists } from './apply.js';
import type { Cluster } from './connect.js';
import type { KubeObject } from '../model/object.js';

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

export const deploymentsIn = (objs: KubeObject[]) => objs.filter((o) => o.kind === 'Deployment');

/** Installs into one cluster: each group's namespaces and CRDs first and waited for, then the rest. */
export async function installCluster(target: InstallTarget, release: OperatorRelease, certManager: CertManagerRelease | undefined,
  opts: InstallOptions, progress: (what: string) => void, done: (o: AppliedObject) => void = () => {}): Promise<AppliedObject[]> {
  const { client } = target.cluster;
  const plan = planCluster(target, release, certManager, opts.namespace);
  const applied: AppliedObject[] = [];
  const record = (objs: AppliedObject[]) => { applied.push(...objs); objs.forEach(done); };
  // Each kind's metadata is listed once for the whole cluster, all kinds at once: the groups write
  // different objects, and a kind whose CRD is not there yet lists as empty (its objects are created).
  const lists: MetadataLists = new Map();
  listAhead(client, lists, [...plan.certManager, ...plan.operator]);
  const applyGroup = async (objs: KubeObject[]) => {
    const { first, rest } = splitForApply(objs);
    const firsts = await applyAll(client, first, opts, lists);
    record(firsts);
    // Unchanged CRDs were established by an earlier run; wait only for what this run wrote.
    const written = first.filter((_, i) => firsts[i]!.action !== 'unchanged');
    if (!opts.dryRun) await waitCrdsEstablished(client, written, opts.deadline);
    record(await applyAll(client, rest, opts, lists));
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
