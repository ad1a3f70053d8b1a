// The reads and writes of a control-plane move (the plan is src/plan/move.ts, the order src/flows/move-control-plane.ts).
import { CONTROL_PLANE_ENV, OPERATOR_DEPLOYMENT, type Role } from '../manifests/operator-release.js';
import type { ControlPlaneObjects, DataPlaneObject } from '../plan/move.js';
import { waitUntil } from '../util/wait.js';
import { deploymentAvailable } from './apply.js';
import type { KubeClient } from './client.js';
import { CASSANDRA_DATACENTER, CASSANDRA_TASK, CLIENT_CONFIG, K8SSANDRA_CLUSTER, K8SSANDRA_TASK, REPLICATED_SECRET } from '../model/kinds.js';
import type { KubeObject } from '../model/object.js';
import { deleteObject, getObject, listObjects, listOrNone, objectPath } from './resources.js';

/** What a control plane holds for its K8ssandraClusters in the operator namespace (no Secret). */
export async function readControlPlaneObjects(client: KubeClient, namespace: string): Promise<ControlPlaneObjects> {
  const [k8ssandraClusters, replicatedSecrets, k8ssandraTasks, clientConfigs] = await Promise.all([
    listOrNone(client, { ...K8SSANDRA_CLUSTER, namespace }), listOrNone(client, { ...REPLICATED_SECRET, namespace }),
    listOrNone(client, { ...K8SSANDRA_TASK, namespace }), listOrNone(client, { ...CLIENT_CONFIG, namespace }),
  ]);
  return { k8ssandraClusters, replicatedSecrets, k8ssandraTasks,
    clientConfigs: clientConfigs.map((c) => ({ name: c.metadata.name, contextName: c.spec?.contextName || c.metadata.name })) };
}

/** The Secrets of the namespace: read to pick those a move takes along; nothing of them is ever printed. */
export const readSecrets = (client: KubeClient, namespace: string) => listOrNone(client, { apiVersion: 'v1', kind: 'Secret', namespace });

/** CassandraDatacenters and CassandraTasks of one cluster, in the namespace. */
export async function readDataPlane(client: KubeClient, namespace: string): Promise<{ datacenters: DataPlaneObject[]; tasks: DataPlaneObject[] }> {
  const [dcs, tasks] = await Promise.all([listOrNone(client, { ...CASSANDRA_DATACENTER, namespace }), listOrNone(client, { ...CASSANDRA_TASK, namespace })]);
  const context = client.context;
  return { datacenters: dcs.map((object) => ({ context, object })), tasks: tasks.map((object) => ({ context, object })) };
}

/** Finalizers of Kubernetes' own garbage collector: never removed by us (the orphaning of dependents is under way). */
const GC_FINALIZERS = new Set(['orphan', 'foregroundDeletion']);

/**
 * Removes one copy from the old control plane without any controller acting on it: the operator's
 * finalizers first (a patch that holds only if nobody changed it since it was read), then a delete
 * with the uid read and propagation Orphan, so that nothing that names it as owner is garbage-collected
 * (Kubernetes' own `orphan` finalizer is left to the garbage collector). Call only once no operator runs
 * as control plane in that cluster: its finalizer would otherwise delete the datacenters in every data
 * plane. A copy already being deleted only loses the operator's finalizers.
 */
export async function removeCopy(client: KubeClient, o: KubeObject): Promise<'deleted' | 'gone'> {
  const ref = { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
  const now = await getObject(client, ref);
  if (!now || now.metadata.uid !== o.metadata.uid) return 'gone';
  const finalizers = (now.metadata.finalizers as string[] | undefined) ?? [];
  const keep = finalizers.filter((f) => GC_FINALIZERS.has(f));
  if (keep.length !== finalizers.length) {
    await client.request({ method: 'PATCH', path: await objectPath(client, ref), contentType: 'application/json-patch+json',
      body: [{ op: 'test', path: '/metadata/resourceVersion', value: now.metadata.resourceVersion }, { op: 'replace', path: '/metadata/finalizers', value: keep }] });
  }
  if (now.metadata.deletionTimestamp) return 'deleted';
  return (await deleteObject(client, ref, { uid: o.metadata.uid, propagation: 'Orphan' })) ? 'deleted' : 'gone';
}

/** Waits until the objects are gone (the garbage collector has orphaned their dependents and let them go). */
export async function waitGone(client: KubeClient, objs: KubeObject[], deadline: number): Promise<void> {
  let left = objs;
  await waitUntil(`the old copies in ${client.context} to be gone`, async () => {
    const still = await Promise.all(left.map(async (o) => ((await getObject(client, { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace,
      name: o.metadata.name }))?.metadata.uid === o.metadata.uid ? o : undefined)));
    left = still.filter((o): o is KubeObject => !!o);
    return left.length ? undefined : true;
  }, { deadline, signal: client.signal, intervalMs: 500 }, () => left.map((o) => `${o.kind}/${o.metadata.name}`).join(', '));
}

/** Whether a pod (or pod template) of the operator runs in `mode`, by its K8SSANDRA_CONTROL_PLANE env. */
const podMode = (spec: any): Role | undefined => {
  const c = (spec?.containers ?? []).find((x: any) => (x.env ?? []).some((e: any) => e.name === CONTROL_PLANE_ENV));
  const v = c?.env.find((e: any) => e.name === CONTROL_PLANE_ENV)?.value;
  return v === undefined ? undefined : v === 'true' ? 'control-plane' : 'data-plane';
};

/**
 * Waits until the operator's Deployment runs in `mode`: rolled out and available, and no pod of it
 * (a terminating one included) still runs in the other mode. A pod of the old template keeps running
 * its controllers until it exits; only then has the mode changed.
 */
export async function waitOperatorMode(client: KubeClient, namespace: string, mode: Role, deadline: number): Promise<void> {
  let left = '';
  await waitUntil(`k8ssandra-operator in ${client.context} to run as ${mode}`, async () => {
    const d = await getObject<any>(client, { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: OPERATOR_DEPLOYMENT });
    if (!d) return void (left = 'no Deployment');
    const selector = Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await listObjects<any>(client, { apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector: selector });
    const other = pods.filter((p) => podMode(p.spec) !== mode);
    left = other.length ? `${other.length} pod(s) still run as ${mode === 'control-plane' ? 'data-plane' : 'control-plane'}` : deploymentAvailable(d) ? '' : 'not available yet';
    return podMode(d.spec?.template?.spec) === mode && !left ? true : undefined;
  }, { deadline, signal: client.signal, intervalMs: 500 }, () => left || undefined);
}
