import { CLIENT_CONFIG } from '../model/kinds.js';
import pLimit from 'p-limit';
import { ApiError, type KubeClient } from './client.js';
import { refOf, type KubeObject } from '../model/object.js';
import { deleteObject, getObject, listObjects, listOrNone } from './resources.js';
import { CASSANDRA_DATACENTER, K8SSANDRA_CLUSTER } from '../model/kinds.js';
import type { ClusterUse, LocalDatacenter } from '../plan/in-use.js';
import { CONTEXT_ANNOTATION, CONTROL_PLANE_SA, dataPlaneAccessObjects, TOKEN_SECRET_LABEL } from '../registration/objects.js';
import { INSTALL_RECORD_NAME } from '../plan/install-record.js';
import type { Removal } from '../plan/uninstall.js';
import { waitUntil } from '../util/wait.js';

const OUR_LABEL = 'app.kubernetes.io/managed-by=k8ssandra-cli';
const refTo = (o: KubeObject) => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });

/** A registration found in a control plane: its ClientConfig and the Secret it names. */
export interface FoundRegistration { context: string; clientConfig: KubeObject; secret?: KubeObject }

/** The ClientConfigs of ours in the namespace (all of them, or those of `contexts`) and their Secrets. */
export async function findRegistrations(client: KubeClient, namespace: string, contexts?: Set<string>): Promise<FoundRegistration[]> {
  // No ClientConfig CRD: nothing registered.
  const ccs = await listOrNone(client, { ...CLIENT_CONFIG, namespace }, { labelSelector: OUR_LABEL });
  const found = ccs.map((cc) => ({ context: cc.metadata.annotations?.[CONTEXT_ANNOTATION] ?? cc.spec?.contextName ?? cc.metadata.name, clientConfig: cc }))
    .filter((r) => !contexts || contexts.has(r.context));
  return Promise.all(found.map(async (r) => {
    const name: string | undefined = r.clientConfig.spec?.kubeConfigSecret?.name;
    const secret = name ? await getObject(client, { apiVersion: 'v1', kind: 'Secret', namespace, name }) : null;
    // Only a Secret that is a registration of ours goes with its ClientConfig, never one the user pointed it at.
    return { ...r, ...(secret?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'k8ssandra-cli' ? { secret } : {}) };
  }));
}

/**
 * The objects of an install that exist in one cluster, in deletion order: registrations, the data
 * plane's service account for the control plane and its binding (either scope), then the release's
 * objects in reverse apply order. Kinds the server does not serve count as absent.
 */
export async function findInstalled(client: KubeClient, namespace: string, release: KubeObject[], registrations: FoundRegistration[]): Promise<KubeObject[]> {
  const access = [...dataPlaneAccessObjects(namespace, false), ...dataPlaneAccessObjects(namespace, true).filter((o) => o.kind === 'ClusterRoleBinding')];
  const record = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: INSTALL_RECORD_NAME, namespace } };
  const candidates = [...access, ...[...release].reverse(), record];
  const limit = pLimit(8);
  const [live, tokenSecrets] = await Promise.all([
    Promise.all(candidates.map((o) => limit(() => getObject(client, refTo(o))))),
    // The control plane's token Secrets (where the API server caps token lifetimes).
    listObjects(client, { apiVersion: 'v1', kind: 'Secret', namespace }, { labelSelector: `${TOKEN_SECRET_LABEL}=${CONTROL_PLANE_SA}` }),
  ]);
  return [...registrations.flatMap((r) => (r.secret ? [r.clientConfig, r.secret] : [r.clientConfig])), ...tokenSecrets, ...live.filter((o): o is KubeObject => !!o)];
}

/**
 * The K8ssandraClusters a control-plane operator reconciles: in every namespace when it is cluster-scoped
 * (or its scope is unknown), else in the namespace it watches (its own). A user who may not list them
 * cluster-wide gets those of the namespace. None when the CRD is not served.
 */
export async function findK8ssandraClusters(client: KubeClient, namespace: string, clusterScoped: boolean): Promise<ClusterUse[]> {
  const inNamespace = () => listOrNone(client, { ...K8SSANDRA_CLUSTER, namespace });
  const items = await (clusterScoped
    ? listOrNone(client, K8SSANDRA_CLUSTER).catch((e) => { if (e instanceof ApiError && e.status === 403) return inNamespace(); throw e; })
    : inNamespace());
  return items.map((k) => ({ namespace: k.metadata.namespace!, name: k.metadata.name,
    datacenters: ((k.spec?.cassandra?.datacenters ?? []) as { metadata?: { name?: string }; k8sContext?: string }[])
      .map((d) => ({ name: d.metadata?.name ?? '', k8sContext: d.k8sContext ?? '' })) }));
}

/** The CassandraDatacenters a cluster runs (every namespace), each with the K8ssandraCluster its operator labels name. */
export async function findLocalDatacenters(client: KubeClient): Promise<LocalDatacenter[]> {
  const items = await listOrNone(client, CASSANDRA_DATACENTER);
  return items.map((d) => {
    // Labels the control-plane operator puts on what it creates (older releases: k8ssandra.io/cluster only).
    const l = d.metadata.labels ?? {};
    const name = l['k8ssandra.io/cluster-name'];
    const cluster = name ? `${l['k8ssandra.io/cluster-namespace'] ?? d.metadata.namespace}/${name}` : l['k8ssandra.io/cluster'];
    return { namespace: d.metadata.namespace!, name: d.metadata.name, ...(cluster ? { cluster } : {}) };
  });
}

/** Custom resources that deleting these CRDs would delete with them ("Kind namespace/name"), in any namespace. */
export async function customResourcesOf(client: KubeClient, crds: KubeObject[]): Promise<string[]> {
  const lists = await Promise.all(crds.map(async (crd) => {
    const version = (crd.spec.versions as { name: string; storage?: boolean }[]).find((v) => v.storage)?.name ?? crd.spec.versions[0].name;
    // Only "not served" counts as none: any other failure must stop a deletion that could lose data.
    const items = await listOrNone(client, { apiVersion: `${crd.spec.group}/${version}`, kind: crd.spec.names.kind });
    return items.map((i) => `${crd.spec.names.kind} ${i.metadata.namespace ? i.metadata.namespace + '/' : ''}${i.metadata.name}`);
  }));
  return lists.flat();
}

/**
 * Deletes the objects (in parallel, bounded), each only if it is still the object that was inspected
 * (a uid precondition): one re-created since by someone else is left alone. Answers what was deleted.
 */
export async function deleteRemovals(client: KubeClient, removals: Removal[], opts: { dryRun: boolean }): Promise<{ deleted: Removal[]; changedMeanwhile: Removal[] }> {
  const limit = pLimit(8);
  const deleted: Removal[] = [];
  const changedMeanwhile: Removal[] = [];
  await Promise.all(removals.map((r) => limit(async () => {
    try {
      await deleteObject(client, refTo(r.object), { dryRun: opts.dryRun, uid: r.object.metadata.uid });
      deleted.push(r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) changedMeanwhile.push(r); // the uid precondition failed
      else throw e;
    }
  })));
  return { deleted, changedMeanwhile };
}

/** Waits until every deleted object is gone (finalizers done), or has been replaced by a new one. */
export async function waitGone(client: KubeClient, objects: KubeObject[], deadline: number): Promise<void> {
  const pending = new Map(objects.map((o) => [refOf(o), o]));
  await waitUntil(`deleted objects to be gone in ${client.context}`, async () => {
    await Promise.all([...pending].map(async ([ref, o]) => {
      const now = await getObject(client, refTo(o));
      if (!now || now.metadata.uid !== o.metadata.uid) pending.delete(ref);
    }));
    return pending.size ? undefined : true;
  }, { deadline, signal: client.signal }, () => `still there: ${[...pending.keys()].slice(0, 3).join(', ')}`);
}
