// Preflight of pod admission: every pod the release will run is created in a server-side dry run
// (dryRun=All: admission runs, nothing is stored), so that Pod Security Admission, policy webhooks
// (Kyverno, Gatekeeper) and ResourceQuotas refuse it before anything is written, instead of the
// ReplicaSet controller refusing it after the install (FailedCreate) while the install waits.
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../model/object.js';
import { getObject } from '../kube/resources.js';
import { admissionVerdict, dryRunPod, isPolicyRefusal, refusalHint, templatePod, type Admission } from '../kube/workloads.js';
import { check, type Check } from './catalog.js';

const POD_SECURITY = 'pod-security.kubernetes.io/';
/** Where pods are dry-run when their namespace does not exist yet (it exists in every cluster). */
export const STAND_IN_NAMESPACE = 'default';

/** The pods the release's Deployments will run, as their ReplicaSets create them (see templatePod). */
export function releasePods(objs: KubeObject[]): { deployment: string; pod: KubeObject }[] {
  return objs.filter((o) => o.kind === 'Deployment').map((d) => ({ deployment: d.metadata.name, pod: templatePod(d) }));
}

const podSecurityLabels = (ns: KubeObject | null | undefined) =>
  JSON.stringify(Object.entries(ns?.metadata.labels ?? {}).filter(([k]) => k.startsWith(POD_SECURITY)).sort());

/**
 * Where to dry-run the pods of a namespace: in it when it exists; when it does not (a pod cannot be
 * created, even in a dry run, in a namespace that does not exist, and a dry-run create of the namespace
 * does not make it exist), in the stand-in namespace when it carries the same Pod Security labels as the
 * release gives the new namespace (usually none: both get the cluster's default level); a namespace
 * being deleted counts as not there. Otherwise the
 * pods cannot be checked before the install creates the namespace.
 */
export function whereToDryRun(namespace: string, existing: KubeObject | null, standIn: KubeObject | null,
  releaseNamespace: KubeObject | undefined): { namespace: string } | { unchecked: string } {
  // A namespace being deleted (another run's lock namespace, a user's uninstall) refuses every pod, and is
  // gone before the install writes: the install makes it again, once the lock has waited for it.
  if (existing && !existing.metadata.deletionTimestamp) return { namespace };
  if (standIn && podSecurityLabels(standIn) === podSecurityLabels(releaseNamespace)) return { namespace: STAND_IN_NAMESPACE };
  return { unchecked: `namespace ${namespace} does not exist yet, and namespace ${STAND_IN_NAMESPACE} has other Pod Security labels than the release gives it` };
}

/** One pod's verdict: admitted, refused (with the API server's message), or not known (why). */
export interface AdmissionOutcome extends Admission {
  deployment: string;
  namespace: string;
  /** Where it was dry-run: the stand-in namespace when its own does not exist yet. */
  checkedIn?: string;
}

/** The verdict of one cluster: POD-ADMISSION fails when any pod is refused. */
export function admissionChecks(context: string, outcomes: AdmissionOutcome[]): Check[] {
  const refused = outcomes.filter((o) => o.verdict === 'refused');
  if (refused.length) {
    const r = refused[0]!;
    const others = refused.length > 1 ? ` (and ${refused.length - 1} more: ${refused.slice(1).map((o) => o.deployment).join(', ')})` : '';
    const where = r.checkedIn && r.checkedIn !== r.namespace ? ` (checked in namespace ${r.checkedIn}: ${r.namespace} does not exist yet)` : '';
    return [check('POD-ADMISSION', 'fail', `${context}: the pod of Deployment ${r.namespace}/${r.deployment} would be refused${where}: ${r.message}${others}`,
      { context, hint: refusalHint(r.message ?? '', r.namespace) + (isPolicyRefusal(r.message ?? '') ? '' : '; then run the same command again') })];
  }
  const unknown = outcomes.filter((o) => o.verdict === 'unknown');
  if (unknown.length) {
    return [check('POD-ADMISSION', 'warn', `${context}: could not dry-run the pod of Deployment ${unknown[0]!.namespace}/${unknown[0]!.deployment}: ${unknown[0]!.message}`,
      { context, hint: 'the install reports a refusal while it waits for the Deployments' })];
  }
  const standIn = outcomes.find((o) => o.checkedIn && o.checkedIn !== o.namespace);
  return [check('POD-ADMISSION', 'pass', `the operator pods would be admitted${standIn ? ` (checked in namespace ${standIn.checkedIn}: ${standIn.namespace} does not exist yet)` : ''}`,
    { context })];
}

/** Dry-runs the release's pods (its objects for one cluster) and answers each pod's verdict. */
export async function dryRunReleasePods(client: KubeClient, objs: KubeObject[]): Promise<AdmissionOutcome[]> {
  const pods = releasePods(objs);
  const namespaces = [...new Set(pods.map((p) => p.pod.metadata.namespace!))];
  const getNs = (name: string) => getObject(client, { apiVersion: 'v1', kind: 'Namespace', name });
  const where = new Map(await Promise.all(namespaces.map(async (ns) => {
    try {
      const existing = await getNs(ns);
      const standIn = existing ? null : await getNs(STAND_IN_NAMESPACE);
      return [ns, whereToDryRun(ns, existing, standIn, objs.find((o) => o.kind === 'Namespace' && o.metadata.name === ns))] as const;
    } catch (e) {
      return [ns, { unchecked: `cannot read namespace ${ns}: ${admissionVerdict(e).message}` }] as const;
    }
  })));
  return Promise.all(pods.map(async ({ deployment, pod }): Promise<AdmissionOutcome> => {
    const base = { deployment, namespace: pod.metadata.namespace! };
    const w = where.get(base.namespace)!;
    if ('unchecked' in w) return { ...base, verdict: 'unknown', message: w.unchecked };
    return { ...base, checkedIn: w.namespace, ...await dryRunPod(client, pod, w.namespace) };
  }));
}
