// Why a Deployment is not available, read from the objects Kubernetes keeps about it: its newest
// ReplicaSet (ReplicaFailure/FailedCreate, and the FailedCreate events), and that ReplicaSet's pods
// (Unschedulable, image pulls, crash loops). Pure interpretation plus one function that reads the objects.
import { ApiError, type KubeClient } from './client.js';
import type { KubeObject } from '../model/object.js';
import { listObjects } from './resources.js';

export type NotAvailableKind = 'FailedCreate' | 'Unschedulable' | 'ImagePull' | 'ContainerConfig' | 'CrashLoop';

export interface NotAvailableReason {
  kind: NotAvailableKind;
  /** One line: what Kubernetes says, quoted. */
  message: string;
  hint: string;
  /**
   * Certain at once: it cannot clear by itself (an admission refusal, an invalid image name, a container
   * that keeps crashing). Otherwise the controllers retry (a service account created a moment later, a
   * node an autoscaler adds, a registry that answers again): certain only once it has lasted a while.
   */
  certain: boolean;
}

/** A pod's verdict in a server-side dry run: admitted, refused (the API server's message), or not known (why). */
export interface Admission { verdict: 'admitted' | 'refused' | 'unknown'; message?: string }

/**
 * What the reason is read from: the Deployment, and its namespace's ReplicaSets, pods and FailedCreate
 * events; `admissionNow`: its pod in a dry run now, when its ReplicaSet reports FailedCreate.
 */
export interface Workload { deployment: KubeObject; replicaSets: KubeObject[]; pods: KubeObject[]; events: KubeObject[]; admissionNow?: Admission }

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const ownedBy = (o: KubeObject, uid: string | undefined) =>
  !!uid && ((o.metadata.ownerReferences ?? []) as { uid: string }[]).some((r) => r.uid === uid);
const revision = (rs: KubeObject) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

/** The ReplicaSet of the Deployment's newest revision (the one whose pods a rollout waits for). */
function newestReplicaSet(w: Workload): KubeObject | undefined {
  const own = w.replicaSets.filter((rs) => ownedBy(rs, w.deployment.metadata.uid));
  return own.sort((a, b) => revision(b) - revision(a))[0];
}

/**
 * The hint for an admission refusal, by what refused: Pod Security Admission, a policy webhook
 * (Kyverno, Gatekeeper), a ResourceQuota. The operator pods meet Pod Security "baseline", not "restricted".
 */
export function refusalHint(message: string, namespace: string): string {
  const psa = /violates PodSecurity "([a-z]+):[^"]*"/.exec(message);
  if (psa) {
    return `namespace ${namespace} enforces Pod Security "${psa[1]}" (label pod-security.kubernetes.io/enforce=${psa[1]}, or the cluster's default level), `
      + `which these pods do not meet (the operator pods meet "baseline"): kubectl label namespace ${namespace} pod-security.kubernetes.io/enforce=baseline --overwrite `
      + `(create the namespace so labelled first if it does not exist), or install into another namespace (--namespace)`;
  }
  const webhook = /admission webhook "([^"]+)" denied the request/.exec(message);
  if (webhook) {
    return `the policy behind admission webhook ${webhook[1]} refuses these pods: add an exception for namespace ${namespace} `
      + '(Kyverno PolicyException, Gatekeeper excludedNamespaces), or install into a namespace it exempts (--namespace)';
  }
  if (/exceeded quota/.test(message)) {
    return `a ResourceQuota in ${namespace} leaves no room for these pods: raise it or free room (kubectl -n ${namespace} describe resourcequota)`;
  }
  return `the API server refuses these pods in ${namespace}: fix what the message names, or install into another namespace (--namespace)`;
}

/** Refusals no retry clears: Pod Security and policy webhooks judge the pod spec, which stays the same. */
export const isPolicyRefusal = (message: string) => /violates PodSecurity|admission webhook "[^"]+" denied the request/.test(message);

/**
 * The pod a Deployment's ReplicaSet creates, for a dry run. Without its service account: the ServiceAccount
 * admission plugin refuses a pod whose account does not exist, and a release creates its accounts only
 * with its Deployments; the namespace's `default` account stands in (Pod Security and policies judge the
 * pod spec). generateName: never a conflict with a pod that exists.
 */
export function templatePod(d: KubeObject): KubeObject {
  const { serviceAccountName: _sa, serviceAccount: _legacy, ...spec } = d.spec?.template?.spec ?? {};
  const template = d.spec?.template?.metadata ?? {};
  return { apiVersion: 'v1', kind: 'Pod',
    metadata: { name: '', generateName: `${d.metadata.name}-`, namespace: d.metadata.namespace, labels: template.labels, annotations: template.annotations },
    spec };
}

/**
 * A refusal of a dry run, or a failure that says nothing about admission: a service account or namespace
 * missing, our own permissions (K8S-PERMISSIONS reports those).
 */
export function admissionVerdict(e: unknown): Admission {
  if (!(e instanceof ApiError)) return { verdict: 'unknown', message: e instanceof Error ? e.message : String(e) };
  const inconclusive = e.status === 404 || /error looking up service account|cannot create resource "pods"/.test(e.message);
  return { verdict: inconclusive ? 'unknown' : 'refused', message: e.message };
}

/** Creates the pod in a server-side dry run (dryRun=All: admission runs, nothing is stored) in `namespace`. */
export async function dryRunPod(client: KubeClient, pod: KubeObject, namespace: string): Promise<Admission> {
  const { name: _unset, ...metadata } = pod.metadata;
  try {
    await client.request({ method: 'POST', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, query: { dryRun: 'All' },
      body: { ...pod, metadata: { ...metadata, namespace } }, idempotent: true }); // a dry run persists nothing
    return { verdict: 'admitted' };
  } catch (e) {
    return admissionVerdict(e);
  }
}

function failedCreate(w: Workload, rs: KubeObject | undefined): NotAvailableReason | undefined {
  if (!rs) return undefined;
  const cond = (rs.status?.conditions ?? []).find((c: any) => c.type === 'ReplicaFailure' && c.status === 'True' && c.reason === 'FailedCreate');
  const event = w.events
    .filter((e) => e.reason === 'FailedCreate' && e.involvedObject?.kind === 'ReplicaSet' && e.involvedObject?.name === rs.metadata.name)
    .sort((a, b) => String(b.lastTimestamp ?? b.eventTime ?? '').localeCompare(String(a.lastTimestamp ?? a.eventTime ?? '')))[0];
  const message: string | undefined = cond?.message ?? event?.message;
  if (!message) return undefined;
  // The condition stays until the controller's next attempt, which backs off for minutes: a pod admitted
  // now (the namespace relabelled, the policy changed) makes it stale.
  const now = w.admissionNow;
  if (now?.verdict === 'admitted') return undefined;
  const ns = w.deployment.metadata.namespace ?? 'default';
  return { kind: 'FailedCreate', message: oneLine(message), hint: refusalHint(message, ns),
    certain: now?.verdict !== 'unknown' && isPolicyRefusal(now?.message ?? message) };
}

function podReason(p: KubeObject, ctx: { context?: string; deployment: string; namespace: string }): NotAvailableReason | undefined {
  const scheduled = (p.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { kind: 'Unschedulable', message: oneLine(`pod ${p.metadata.name} Unschedulable: ${scheduled.message ?? ''}`), certain: false,
      hint: 'no node takes the pod: remove the taint or give the pods a toleration (kubectl describe nodes shows taints), or add nodes or free '
        + 'CPU and memory; if a cluster autoscaler is adding a node, run the same command again once it is up' };
  }
  const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (!waiting) continue;
    const said = oneLine(`pod ${p.metadata.name} container ${s.name} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`);
    if (['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'].includes(waiting.reason)) {
      return { kind: 'ImagePull', message: said, certain: waiting.reason === 'InvalidImageName',
        hint: `the node cannot pull ${s.image}: check the image name and the registry's reachability and credentials (imagePullSecrets); `
          + 'without access to the registry, mirror the images and pass --manifests with the images rewritten' };
    }
    if (['CreateContainerConfigError', 'CreateContainerError'].includes(waiting.reason)) {
      return { kind: 'ContainerConfig', message: said, certain: false,
        hint: `kubectl ${ctx.context ? `--context ${ctx.context} ` : ''}-n ${ctx.namespace} describe pod ${p.metadata.name} names the missing Secret or ConfigMap` };
    }
    // A container may exit on purpose now and then (the control-plane operator restarts when its ClientConfigs
    // change); only one that keeps crashing is certain.
    if (waiting.reason === 'CrashLoopBackOff' && (s.restartCount ?? 0) >= 3) {
      const last = s.lastState?.terminated;
      return { kind: 'CrashLoop', certain: true,
        message: oneLine(`pod ${p.metadata.name} container ${s.name} CrashLoopBackOff after ${s.restartCount} restarts`
          + `${last ? ` (last exit ${last.exitCode}${last.reason ? ` ${last.reason}` : ''})` : ''}`),
        hint: `kubectl ${ctx.context ? `--context ${ctx.context} ` : ''}-n ${ctx.namespace} logs deployment/${ctx.deployment} --previous shows why it exits` };
    }
  }
  return undefined;
}

const ORDER: NotAvailableKind[] = ['FailedCreate', 'Unschedulable', 'ImagePull', 'ContainerConfig', 'CrashLoop'];

/**
 * Why the Deployment is not available, when its objects say: a pod the ReplicaSet could not create
 * first (no pod to look at then), then its pods' problems. Undefined: nothing is known to be wrong (yet).
 */
export function whyNotAvailable(w: Workload, context?: string): NotAvailableReason | undefined {
  const rs = newestReplicaSet(w);
  const create = failedCreate(w, rs);
  if (create) return create;
  const namespace = w.deployment.metadata.namespace ?? 'default';
  const pods = w.pods.filter((p) => ownedBy(p, rs?.metadata.uid) && !p.metadata.deletionTimestamp);
  const found = pods.map((p) => podReason(p, { context, deployment: w.deployment.metadata.name, namespace })).filter((r) => r !== undefined);
  return found.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind))[0];
}

/**
 * The Deployment's ReplicaSets and pods (by its selector) and the namespace's ReplicaSet FailedCreate
 * events; when its newest ReplicaSet reports FailedCreate, its pod in a dry run now.
 */
export async function readWorkload(client: KubeClient, deployment: KubeObject): Promise<Workload> {
  const namespace = deployment.metadata.namespace;
  const labelSelector = Object.entries((deployment.spec?.selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  const [replicaSets, pods, events] = await Promise.all([
    listObjects(client, { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace }, { labelSelector }),
    listObjects(client, { apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector }),
    // Only a fallback for the ReplicaSet's condition: a user who may not list events still gets the rest.
    listObjects(client, { apiVersion: 'v1', kind: 'Event', namespace }, { fieldSelector: 'involvedObject.kind=ReplicaSet,reason=FailedCreate' }).catch(() => []),
  ]);
  const w: Workload = { deployment, replicaSets, pods, events };
  if (failedCreate(w, newestReplicaSet(w))) w.admissionNow = await dryRunPod(client, templatePod(deployment), namespace ?? 'default');
  return w;
}
