import pLimit from 'p-limit';
import { ApiError, type KubeClient } from './client.js';
import { refOf, type KubeObject } from '../model/object.js';
import { applyObject, getObject, listMetadata, type ApplyAction } from './resources.js';
import { CliError } from '../errors.js';
import { readWorkload, whyNotAvailable, type NotAvailableReason } from './workloads.js';
import { waitUntil } from '../util/wait.js';

export interface AppliedObject { ref: string; action: ApplyAction; tookOverFrom?: string[] }

/** The metadata lists one install has read, per kind and namespace: shared by its apply calls. */
export type MetadataLists = Map<string, Promise<Map<string, KubeObject['metadata']>>>;

/**
 * Applies objects in parallel (bounded, so one cluster never sees a burst); results keep the input's
 * order. Current metadata is read with one list per kind (per run, when the caller passes `lists`), so
 * objects already as we applied them cost no further request (a no-op re-run stays fast and light on
 * the API server).
 */
export async function applyAll(client: KubeClient, objs: KubeObject[], opts: { dryRun?: boolean; force?: boolean },
  kinds: MetadataLists = new Map()): Promise<AppliedObject[]> {
  const limit = pLimit(8);
  return Promise.all(objs.map((o) => limit(async () => {
    try {
      const before = (await metadataList(client, kinds, o)).get(o.metadata.name) ?? null;
      const { action, tookOverFrom } = await applyObject(client, o, { ...opts, before });
      return { ref: refOf(o), action, ...(tookOverFrom ? { tookOverFrom } : {}) };
    } catch (e) {
      // A dry run cannot validate objects whose namespace or CRD the same run would create first.
      if (opts.dryRun && e instanceof ApiError && e.status === 404) return { ref: refOf(o), action: 'created' as const };
      throw e;
    }
  })));
}

/** The metadata of the objects of `o`'s kind in its namespace: listed once per `lists`. */
export function metadataList(client: KubeClient, lists: MetadataLists, o: KubeObject): Promise<Map<string, KubeObject['metadata']>> {
  const key = `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}`;
  if (!lists.has(key)) lists.set(key, listMetadata(client, { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace }));
  return lists.get(key)!;
}

/**
 * Starts the metadata list of every kind of `objs` at once (one round trip instead of one per kind
 * as the applies reach it): a re-run that changes nothing is then a single round of lists.
 */
export function listAhead(client: KubeClient, lists: MetadataLists, objs: KubeObject[]): void {
  // A failed list fails the apply that reads it; unread (the run stopped before), it is no unhandled rejection.
  for (const o of objs) metadataList(client, lists, o).catch(() => {});
}

/** One warning line per object whose fields --force took over from another field manager. */
export function takeoverWarnings(context: string, objs: { ref: string; tookOverFrom?: string[] }[]): string[] {
  return objs.filter((o) => o.tookOverFrom?.length)
    .map((o) => `--force: ${context}: took over fields of ${o.ref} from ${o.tookOverFrom!.join(', ')}`);
}

/** Waits for every CRD to be Established, so that objects of its kinds can be applied. */
export async function waitCrdsEstablished(client: KubeClient, crds: KubeObject[], deadline: number): Promise<void> {
  const pending = new Set(crds.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name));
  await waitUntil(`CRDs to be established in ${client.context}`, async () => {
    await Promise.all([...pending].map(async (name) => {
      const crd = await getObject(client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
      if (crd?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True')) pending.delete(name);
    }));
    return pending.size ? undefined : true;
  }, { deadline, signal: client.signal }, () => `${pending.size} not yet: ${[...pending].slice(0, 3).join(', ')}`);
}

/** A Deployment is available when its newest generation has rolled out and every replica is available. */
export function deploymentAvailable(d: any): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) && (s.updatedReplicas ?? 0) >= want
    && (s.availableReplicas ?? 0) >= want && !(s.unavailableReplicas > 0);
}

/** Replicas a Deployment asks for and how many of them are available. */
export const deploymentReplicas = (d: any) => ({ desired: d.spec?.replicas ?? 1, available: d.status?.availableReplicas ?? 0 });

/**
 * How long a reason that may clear by itself (the scheduler and the ReplicaSet controller retry) must last
 * before a wait gives up on it: longer than a service account or a Secret created a moment after its
 * Deployment, shorter than any --timeout worth waiting.
 */
export const NOT_AVAILABLE_GRACE_MS = 30_000;

/**
 * Waits until the Deployments are available; fails as soon as the reason one is not is certain (an
 * admission refusal, a crash loop) or has lasted NOT_AVAILABLE_GRACE_MS (Unschedulable, image pulls),
 * with that reason, rather than at the deadline.
 */
export async function waitDeploymentsAvailable(client: KubeClient, namespace: string, names: string[], deadline: number,
  graceMs = NOT_AVAILABLE_GRACE_MS): Promise<void> {
  const pending = new Set(names);
  const seen = new Map<string, { reason: NotAvailableReason; since: number }>();
  await waitUntil(`Deployments to be available in ${client.context}`, async () => {
    await Promise.all([...pending].map(async (name) => {
      const d = await getObject(client, { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
      if (d && deploymentAvailable(d)) {
        pending.delete(name);
        return;
      }
      if (!d) return;
      // ReplicaSets, pods or events that cannot be read leave the plain wait.
      const workload = await readWorkload(client, d).catch(() => undefined);
      const why = workload && whyNotAvailable(workload, client.context);
      if (!why) {
        seen.delete(name);
        return;
      }
      const before = seen.get(name);
      const since = before?.reason.kind === why.kind ? before.since : Date.now();
      seen.set(name, { reason: why, since });
      if (why.certain || Date.now() - since >= graceMs) {
        throw new CliError('notReady', `${client.context}: Deployment ${namespace}/${name} is not available: ${why.message}`, { hint: why.hint, context: client.context });
      }
    }));
    return pending.size ? undefined : true;
  }, { deadline, signal: client.signal }, () => `not available yet: ${[...pending].map((n) => (seen.has(n) ? `${n} (${seen.get(n)!.reason.message})` : n)).join(', ')}`);
}
