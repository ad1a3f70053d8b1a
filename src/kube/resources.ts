import { ApiError, type KubeClient } from './client.js';

/** Our field manager: every object the tool writes is applied under this name, and only this one. */
export const FIELD_MANAGER = 'k8ssandra-cli';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>;
    resourceVersion?: string; uid?: string; managedFields?: unknown[]; [k: string]: unknown };
  [k: string]: any;
}

export type ApplyAction = 'created' | 'changed' | 'unchanged';

interface ResourceInfo { plural: string; namespaced: boolean }

// Discovery answers per client (never module-level: a cache keyed by context would outlive its client).
const discoveryCache = new WeakMap<KubeClient, Map<string, Map<string, ResourceInfo>>>();

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

async function resourceInfo(client: KubeClient, apiVersion: string, kind: string): Promise<ResourceInfo> {
  let byGv = discoveryCache.get(client);
  if (!byGv) discoveryCache.set(client, (byGv = new Map()));
  let kinds = byGv.get(apiVersion);
  if (!kinds || !kinds.has(kind)) {
    const list = await client.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(
      { path: groupVersionPath(apiVersion) }).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return { resources: [] };
      throw e;
    });
    kinds = new Map(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]));
    byGv.set(apiVersion, kinds);
  }
  const info = kinds.get(kind);
  if (!info) {
    throw new ApiError(404, 'NotFound', `the server does not serve ${kind} (${apiVersion}): is its CRD installed?`, client.context);
  }
  return info;
}

/** The REST path of an object (or of its collection when name is omitted). */
export async function objectPath(client: KubeClient, ref: { apiVersion: string; kind: string; namespace?: string; name?: string }): Promise<string> {
  const info = await resourceInfo(client, ref.apiVersion, ref.kind);
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? 'default')}` : '';
  return `${groupVersionPath(ref.apiVersion)}${ns}/${info.plural}${ref.name ? '/' + encodeURIComponent(ref.name) : ''}`;
}

export async function getObject<T = KubeObject>(client: KubeClient, ref: { apiVersion: string; kind: string; namespace?: string; name: string }): Promise<T | null> {
  try {
    return await client.request<T>({ path: await objectPath(client, ref) });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export async function listObjects<T = KubeObject>(client: KubeClient, ref: { apiVersion: string; kind: string; namespace?: string },
  query: { labelSelector?: string; fieldSelector?: string; limit?: number } = {}): Promise<T[]> {
  const info = await resourceInfo(client, ref.apiVersion, ref.kind);
  const ns = info.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const page = await client.request<{ items: T[]; metadata: { continue?: string } }>({
      path: `${groupVersionPath(ref.apiVersion)}${ns}/${info.plural}`, query: { ...query, limit: query.limit ?? 500, continue: cont } });
    items.push(...page.items);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return items;
}

export async function deleteObject(client: KubeClient, ref: { apiVersion: string; kind: string; namespace?: string; name: string },
  opts: { propagation?: 'Background' | 'Foreground' | 'Orphan'; gracePeriodSeconds?: number; dryRun?: boolean; uid?: string } = {}): Promise<boolean> {
  try {
    // Every option goes in the body: with a body, the API server ignores DeleteOptions in the query (dryRun too).
    await client.request({ method: 'DELETE', path: await objectPath(client, ref),
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: opts.propagation ?? 'Background', gracePeriodSeconds: opts.gracePeriodSeconds,
        ...(opts.dryRun ? { dryRun: ['All'] } : {}),
        // Deletes exactly the object that was inspected, not one re-created under the same name since.
        ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}) } });
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

export interface ApplyOptions { dryRun?: boolean; force?: boolean }
export interface ApplyResult {
  action: ApplyAction;
  object: KubeObject;
  /** With `force`: the field managers whose fields were taken over (empty when nothing was contested). */
  tookOverFrom?: string[];
}

/**
 * The one write path: server-side apply under our field manager. Fields that another manager owns are
 * a conflict (409) rather than silently taken over; with `force` they are taken over, and the answer
 * names whose fields were taken, so that the caller can say so. The answer also says whether the
 * object was created, changed or left as it was, also in a server-side dry run.
 */
export async function applyObject(client: KubeClient, obj: KubeObject, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
  const path = await objectPath(client, ref);
  const before = await getObject(client, ref);
  const patch = (force: boolean) => client.request<KubeObject>({
    method: 'PATCH', path, body: obj, contentType: 'application/apply-patch+yaml',
    query: { fieldManager: FIELD_MANAGER, force: force ? true : undefined, dryRun: opts.dryRun ? 'All' : undefined },
  });
  let after: KubeObject;
  let tookOverFrom: string[] | undefined;
  try {
    after = await patch(false);
  } catch (e) {
    if (!(opts.force && e instanceof ApiError && e.status === 409)) throw e;
    tookOverFrom = conflictManagers(e.message);
    after = await patch(true);
  }
  let action: ApplyAction;
  if (!before) action = 'created';
  else if (opts.dryRun) action = sameContent(before, after) ? 'unchanged' : 'changed';
  else action = before.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'changed';
  return { action, object: after, ...(tookOverFrom ? { tookOverFrom } : {}) };
}

/** The managers named in a server-side apply conflict ("conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"). */
export function conflictManagers(message: string): string[] {
  const names = [...message.matchAll(/conflicts? with "([^"]+)"/g)].map((m) => m[1]!);
  return names.length ? [...new Set(names)] : ['another field manager'];
}

/** Whether our field manager wrote (part of) this object: only such objects may be deleted by us. */
export function managedByUs(o: KubeObject): boolean {
  return (o.metadata.managedFields ?? []).some((m) => (m as { manager?: string }).manager === FIELD_MANAGER);
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { managedFields: _m, resourceVersion: _r, generation: _g, ...meta } = o.metadata;
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(a) === strip(b);
}

export const refOf = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`;
