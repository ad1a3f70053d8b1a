import { APPLIED_HASH, conflictManagers, contentHash, FIELD_MANAGER, upToDate } from '../model/field-manager.js';
import type { KubeObject, ObjectMeta } from '../model/object.js';
import { ApiError, type KubeClient } from './client.js';

export type ApplyAction = 'created' | 'changed' | 'unchanged';

interface ResourceInfo { plural: string; namespaced: boolean }

// Discovery answers per client (never module-level: a cache keyed by context would outlive its client).
// Promises, so that parallel requests of one group version share one discovery call.
const discoveryCache = new WeakMap<KubeClient, Map<string, Promise<Map<string, ResourceInfo>>>>();

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

// Kinds whose names and scope never change: they need no discovery request (one round trip less before
// a list, in status above all). First those built into every Kubernetes API server that we read or write.
const BUILT_IN: Record<string, ResourceInfo> = Object.fromEntries(([
  ['v1', 'Namespace', 'namespaces', false], ['v1', 'Node', 'nodes', false], ['v1', 'Pod', 'pods', true], ['v1', 'Secret', 'secrets', true],
  ['v1', 'ConfigMap', 'configmaps', true], ['v1', 'Service', 'services', true], ['v1', 'ServiceAccount', 'serviceaccounts', true],
  ['apps/v1', 'Deployment', 'deployments', true], ['apps/v1', 'StatefulSet', 'statefulsets', true],
  ['rbac.authorization.k8s.io/v1', 'Role', 'roles', true], ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
  ['coordination.k8s.io/v1', 'Lease', 'leases', true],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false],
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false],
  // The operator's own kinds: their CRDs (which this tool installs) fix these names, and status lists
  // them in every cluster; where the CRD is missing the list itself answers 404.
  ['k8ssandra.io/v1alpha1', 'K8ssandraCluster', 'k8ssandraclusters', true], ['cassandra.datastax.com/v1beta1', 'CassandraDatacenter', 'cassandradatacenters', true],
  ['config.k8ssandra.io/v1beta1', 'ClientConfig', 'clientconfigs', true],
  // cert-manager's, of which the release holds an Issuer and Certificates (fixed by cert-manager's v1 CRDs).
  ['cert-manager.io/v1', 'Certificate', 'certificates', true], ['cert-manager.io/v1', 'Issuer', 'issuers', true],
  ['cert-manager.io/v1', 'ClusterIssuer', 'clusterissuers', false],
] as const).map(([gv, kind, plural, namespaced]) => [`${gv}/${kind}`, { plural, namespaced }]));

async function resourceInfo(client: KubeClient, apiVersion: string, kind: string): Promise<ResourceInfo> {
  const builtIn = BUILT_IN[`${apiVersion}/${kind}`];
  if (builtIn) return builtIn;
  let byGv = discoveryCache.get(client);
  if (!byGv) discoveryCache.set(client, (byGv = new Map()));
  const discover = () => {
    const p = client.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>({ path: groupVersionPath(apiVersion) })
      .catch((e) => {
        if (e instanceof ApiError && e.status === 404) return { resources: [] };
        throw e;
      })
      .then((list) => new Map(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }])));
    byGv!.set(apiVersion, p);
    return p;
  };
  // Looked up and set before any await, so that parallel callers share one request.
  const cached = byGv.get(apiVersion);
  let kinds = cached ? await cached.catch(() => undefined) : await discover();
  // An earlier answer may have failed, or predate the kind (a CRD just installed): ask again.
  if (cached && !kinds?.has(kind)) kinds = await discover();
  const info = kinds?.get(kind);
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
    // Items of built-in kinds come without apiVersion and kind: every caller gets whole objects.
    items.push(...page.items.map((i) => ({ apiVersion: ref.apiVersion, kind: ref.kind, ...i })));
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return items;
}

/** listObjects, answering none where the kind is not served (its CRD missing); any other failure still throws. */
export async function listOrNone<T = KubeObject>(client: KubeClient, ref: { apiVersion: string; kind: string; namespace?: string },
  query: Parameters<typeof listObjects>[2] = {}): Promise<T[]> {
  return listObjects<T>(client, ref, query).catch((e) => {
    if (e instanceof ApiError && e.status === 404) return [];
    throw e;
  });
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
  /** The object as the server returned it; absent when it was skipped as up to date. */
  object?: KubeObject;
  /** With `force`: the field managers whose fields were taken over (empty when nothing was contested). */
  tookOverFrom?: string[];
}

/** Metadata (with managedFields) of every object of a kind, in one request, keyed by name. */
export async function listMetadata(client: KubeClient, ref: { apiVersion: string; kind: string; namespace?: string }): Promise<Map<string, ObjectMeta>> {
  try {
    const info = await resourceInfo(client, ref.apiVersion, ref.kind);
    const ns = info.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? 'default')}` : '';
    const list = await client.request<{ items: { metadata: ObjectMeta }[] }>({ path: `${groupVersionPath(ref.apiVersion)}${ns}/${info.plural}`,
      accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' });
    return new Map((list.items ?? []).map((i) => [i.metadata.name, i.metadata]));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return new Map();
    throw e;
  }
}

/**
 * The one write path: server-side apply under our field manager. Fields that another manager owns are
 * a conflict (409) rather than silently taken over; with `force` they are taken over, and the answer
 * names whose fields were taken, so that the caller can say so. The answer also says whether the
 * object was created, changed or left as it was, also in a server-side dry run. `before` is the
 * object's current metadata when the caller has it (null: it does not exist), saving a read.
 */
export async function applyObject(client: KubeClient, obj: KubeObject, opts: ApplyOptions & { before?: ObjectMeta | null } = {}): Promise<ApplyResult> {
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
  const hash = contentHash(obj);
  const path = await objectPath(client, ref);
  const before = opts.before !== undefined ? opts.before : (await getObject(client, ref))?.metadata ?? null;
  if (upToDate(before ?? undefined, obj)) return { action: 'unchanged' };
  const body = { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [APPLIED_HASH]: hash } } };
  const patch = (force: boolean) => client.request<KubeObject>({
    method: 'PATCH', path, body, contentType: 'application/apply-patch+yaml',
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
  else if (opts.dryRun) action = sameContent(await getObject(client, ref), after) ? 'unchanged' : 'changed';
  else action = before.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'changed';
  return { action, object: after, ...(tookOverFrom ? { tookOverFrom } : {}) };
}

/**
 * Writes an object's status through its status subresource, with the same server-side apply under our
 * field manager. Only for an object no controller reconciles yet (a moved K8ssandraCluster before its
 * new control plane starts): its status fields are taken over (force), since the copy's status is
 * ours until then. Answers the object as stored.
 */
export async function applyStatus(client: KubeClient, obj: KubeObject, status: Record<string, unknown>, opts: ApplyOptions = {}): Promise<KubeObject> {
  const path = `${await objectPath(client, { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name })}/status`;
  return client.request<KubeObject>({
    method: 'PATCH', path, contentType: 'application/apply-patch+yaml',
    body: { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status },
    query: { fieldManager: FIELD_MANAGER, force: true, dryRun: opts.dryRun ? 'All' : undefined },
  });
}

/** Equal but for what every write changes (a dry run keeps the old resourceVersion). */
function sameContent(a: KubeObject | null, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { managedFields: _m, resourceVersion: _r, generation: _g, ...meta } = o.metadata;
    return JSON.stringify({ ...o, metadata: meta });
  };
  return !!a && strip(a) === strip(b);
}

