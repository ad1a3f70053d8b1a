import { CASSANDRA_DATACENTER, CLIENT_CONFIG, K8SSANDRA_CLUSTER } from '../model/kinds.js';
// The I/O of `status`: every cluster is asked in parallel, with list calls only (a bounded number of
// requests per cluster however many objects exist), and a cluster that stops answering costs one
// request timeout, never more than that, and never blocks the others.
import pLimit from 'p-limit';
import { ApiError, ConnectError, createClient, type KubeClient } from '../kube/client.js';
import type { KubeObject } from '../model/object.js';
import { getObject, listObjects } from '../kube/resources.js';
import { readWorkload, whyNotAvailable, type NotAvailableReason } from '../kube/workloads.js';
import { OPERATOR_DEPLOYMENT } from '../manifests/operator-release.js';
import { INSTALL_RECORD_NAME, parseInstallRecord } from '../plan/install-record.js';
import { LOCK_NAME, lockReport, type Lease } from '../plan/lock.js';
import { refusedKeyspaces, UPDATING_REPLICATION } from '../plan/remove-datacenter.js';
import { tokenClaims } from '../registration/objects.js';
import { deploymentAvailable, deploymentReplicas } from '../kube/apply.js';
import type { Cluster } from '../kube/connect.js';
import { credentialFailure, operatorAccessAllowed, storedContext } from '../registration/credentials.js';
import { imageTag } from '../kube/images.js';
import { findOperators } from '../kube/operators.js';
import type { ClientConfigFacts, ContextFacts, ControlPlaneFacts, DatacenterFacts, DeploymentFacts, K8ssandraClusterFacts } from './facts.js';

/** The label cass-operator puts on the StatefulSets (and pods) of a datacenter. */
const DATACENTER_LABEL = 'cassandra.datastax.com/datacenter';
const CASS_OPERATOR_SELECTOR = 'app.kubernetes.io/name=cass-operator';

export interface GatherOptions {
  /** Per-request timeout for clients built from ClientConfig credentials (the user's clients have theirs). */
  requestTimeoutMs: number;
  log?: (line: string) => void;
  /** The host's environment: those clients go through its proxies (HTTPS_PROXY, NO_PROXY). */
  env?: NodeJS.ProcessEnv;
}

/** The cluster stopped answering (or stopped accepting our credentials) part-way. */
class Unreachable extends Error {}

const isUnreachable = (e: unknown) => e instanceof ConnectError || (e instanceof ApiError && e.status === 401);

function unreachableReason(e: unknown): string {
  if (e instanceof ApiError && e.status === 401) return 'credentials rejected (401 Unauthorized)';
  if (e instanceof ApiError) return `${e.status} ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Asks every cluster at once. */
export async function gatherStatus(clusters: Cluster[], opts: GatherOptions): Promise<ContextFacts[]> {
  return Promise.all(clusters.map((c) => gatherContext(c, opts)));
}

export async function gatherContext(cluster: Cluster, opts: GatherOptions): Promise<ContextFacts> {
  const { client } = cluster;
  const started = Date.now();
  const before = client.requestCount;
  const f: ContextFacts = { context: cluster.ctx.name, server: cluster.ctx.server, reachable: false, operators: [], cassOperators: [],
    readProblems: [], requests: 0, elapsedMs: 0 };
  // A list that fails although the cluster answers is noted, not fatal; one that finds no server ends the cluster.
  const read = async <T>(what: string, fn: () => Promise<T>, missing: T): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      if (isUnreachable(e)) throw new Unreachable(unreachableReason(e));
      if (e instanceof ApiError && e.status === 404) return missing;
      f.readProblems.push(`cannot read ${what}: ${e instanceof ApiError && e.status === 403 ? 'forbidden' : unreachableReason(e)}`);
      return undefined;
    }
  };
  try {
    // Everything that needs no answer of another request is asked at once (streams of one HTTP/2
    // connection): a few round trips per cluster, however many clusters, so that status on ten costs
    // about what it costs on three.
    const [version, operators, cass, certManager, dcs, locks] = await Promise.all([
      client.request<{ gitVersion: string }>({ path: '/version' }).catch((e) => { throw new Unreachable(unreachableReason(e)); }),
      read('Deployments (all namespaces)', () => findOperators(client), []),
      read('cass-operator Deployments', () => cassOperators(client), []),
      read('the cert-manager CRD', () => client.request({ path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io' }).then(() => true), false),
      read('CassandraDatacenters', () => datacenters(client), []),
      // Never waited for: status only says who holds a lock. A user who may not list Leases is told nothing.
      listObjects<Lease>(client, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, { fieldSelector: `metadata.name=${LOCK_NAME}` })
        .catch((e) => { if (isUnreachable(e)) throw new Unreachable(unreachableReason(e)); return []; }),
    ]);
    const held = locks.map((l) => lockReport(l, Date.now())).filter((l) => l !== undefined);
    if (held.length) f.locks = held;
    f.kubernetesVersion = version.gitVersion;
    f.operators = operators ?? [];
    f.reachable = true;
    if (f.operators.length) {
      const cp = f.operators.find((o) => o.mode === 'control-plane');
      const [controlPlane, record] = await Promise.all([
        cp ? gatherControlPlane(cluster, cp.namespace, opts, read) : undefined,
        read('the install record', () => listObjects(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: f.operators[0]!.namespace },
          { fieldSelector: `metadata.name=${INSTALL_RECORD_NAME}` }), []),
      ]);
      f.installRecord = parseInstallRecord(record?.[0]);
      f.cassOperators = cass ?? [];
      f.whyNotAvailable = await read('why Deployments are not available', () => notAvailableReasons(cluster, [
        ...f.operators.filter((o) => !o.available).map((o) => ({ namespace: o.namespace, name: OPERATOR_DEPLOYMENT })),
        ...f.cassOperators.filter((o) => !o.available && o.name).map((o) => ({ namespace: o.namespace, name: o.name! }))]), {});
      f.certManager = certManager;
      f.datacenters = dcs;
      f.controlPlane = controlPlane;
    }
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    f.reachable = false;
    f.unreachableReason = e.message;
  }
  f.requests = client.requestCount - before;
  f.elapsedMs = Date.now() - started;
  return f;
}

async function cassOperators(client: KubeClient): Promise<DeploymentFacts[]> {
  const list = await listObjects(client, { apiVersion: 'apps/v1', kind: 'Deployment' }, { labelSelector: CASS_OPERATOR_SELECTOR });
  return list.map((d) => ({ namespace: d.metadata.namespace!, name: d.metadata.name, version: imageTag(d), available: deploymentAvailable(d), replicas: deploymentReplicas(d) }));
}

/** For each Deployment that is not available, why, when its ReplicaSet and pods say (a few requests each, only for those). */
async function notAvailableReasons(cluster: Cluster, deployments: { namespace: string; name: string }[]): Promise<Record<string, NotAvailableReason>> {
  const out: Record<string, NotAvailableReason> = {};
  await Promise.all(deployments.map(async ({ namespace, name }) => {
    const d = await getObject(cluster.client, { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
    const why = d && whyNotAvailable(await readWorkload(cluster.client, d), cluster.ctx.name);
    if (why) out[`${namespace}/${name}`] = why;
  }));
  return out;
}

/** CassandraDatacenters of every namespace, with the ready replicas of the StatefulSets each one owns. */
async function datacenters(client: KubeClient): Promise<DatacenterFacts[]> {
  const setsAsked = listObjects(client, { apiVersion: 'apps/v1', kind: 'StatefulSet' }, { labelSelector: DATACENTER_LABEL }).catch(() => [] as KubeObject[]);
  // Both asked at once; the StatefulSets answered before a failure of the first is passed on (no request outlives the round).
  const [dcs, sets] = await Promise.all([listObjects(client, CASSANDRA_DATACENTER), setsAsked]).catch(async (e) => { await setsAsked; throw e; });
  const readyByOwner = new Map<string, number>();
  for (const s of sets) {
    for (const o of (s.metadata.ownerReferences ?? []) as { uid: string; kind: string }[]) {
      if (o.kind === CASSANDRA_DATACENTER.kind) readyByOwner.set(o.uid, (readyByOwner.get(o.uid) ?? 0) + (s.status?.readyReplicas ?? 0));
    }
  }
  return dcs.map((d) => ({
    namespace: d.metadata.namespace!, name: d.metadata.name, size: d.spec?.size ?? 0,
    progress: d.status?.cassandraOperatorProgress,
    readyCondition: !!d.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'),
    readyNodes: readyByOwner.get(d.metadata.uid!),
  }));
}

type Read = <T>(what: string, fn: () => Promise<T>, missing: T) => Promise<T | undefined>;

/** The control plane's ClientConfigs (each one's credentials tried) and K8ssandraClusters. */
async function gatherControlPlane(cp: Cluster, namespace: string, opts: GatherOptions, read: Read): Promise<ControlPlaneFacts> {
  const { client } = cp;
  const [ccs, secrets, kcs] = await Promise.all([
    read('ClientConfigs', () => listObjects(client, { ...CLIENT_CONFIG, namespace }), []),
    read('Secrets', () => listObjects(client, { apiVersion: 'v1', kind: 'Secret', namespace }), []),
    read('K8ssandraClusters', () => listObjects(client, K8SSANDRA_CLUSTER).catch((e) => {
      // A user who may not list them cluster-wide may still list them where the operator watches.
      if (e instanceof ApiError && e.status === 403) return listObjects(client, { ...K8SSANDRA_CLUSTER, namespace });
      throw e;
    }), []),
  ]);
  const limit = pLimit(8);
  const clientConfigs = await Promise.all((ccs ?? []).map((cc) => limit(() =>
    clientConfigFacts(cp.ctx.name, cc, (secrets ?? []).find((s) => s.metadata.name === cc.spec?.kubeConfigSecret?.name), opts))));
  const k8ssandraClusters = await Promise.all((kcs ?? []).map((k) => k8ssandraClusterFacts(client, cp.ctx.name, k)));
  return { namespace, clientConfigs, ...(ccs ? {} : { clientConfigsUnread: true }), k8ssandraClusters };
}

async function k8ssandraClusterFacts(client: KubeClient, controlPlane: string, k: KubeObject): Promise<K8ssandraClusterFacts> {
  const dcs = (k.spec?.cassandra?.datacenters ?? []) as { metadata?: { name?: string }; k8sContext?: string; size?: number }[];
  const leaving = Object.entries((k.status?.datacenters ?? {}) as Record<string, { decommissionProgress?: string; contextName?: string }>)
    .filter(([name, s]) => !dcs.some((d) => d.metadata?.name === name) && s.decommissionProgress);
  // Only a cluster with a decommission under way costs a request more: the operator's refusals are its Warning events.
  const warnings = leaving.length ? await listObjects(client, { apiVersion: 'v1', kind: 'Event', namespace: k.metadata.namespace },
    { fieldSelector: `involvedObject.name=${k.metadata.name},involvedObject.kind=K8ssandraCluster,type=Warning` }).catch(() => []) : [];
  // status.error holds the operator's last refusal too, and still does once client-go's spam filter stops the events.
  const error = k.status?.error && k.status.error !== 'None' ? String(k.status.error) : undefined;
  const recent = warnings.filter((e) => Date.now() - Date.parse(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? '') < RECENT_REFUSAL_MS)
    .map((e) => String(e.message ?? '')).concat(error ?? []);
  return { controlPlane, namespace: k.metadata.namespace!, name: k.metadata.name, error,
    datacenters: dcs.map((d) => ({ name: d.metadata?.name ?? '', k8sContext: d.k8sContext ?? '', size: d.size ?? 0 })),
    ...(leaving.length ? { decommissions: leaving.map(([name, s]) => ({ name, context: s.contextName ?? '', progress: s.decommissionProgress!,
      refusedFor: s.decommissionProgress === UPDATING_REPLICATION ? refusedKeyspaces(recent, name) : [] })) } : {}) };
}

/** A refusal the operator repeated within this long is current (it repeats it at every reconcile, every few seconds). */
const RECENT_REFUSAL_MS = 5 * 60_000;

/**
 * Reads the ClientConfig's kubeconfig as the control-plane operator would (the Secret, its key
 * `kubeconfig`, the context named `spec.contextName`) and asks the data plane, with those credentials,
 * whether they may manage CassandraDatacenters. The token's claims are read, never shown.
 */
async function clientConfigFacts(controlPlane: string, cc: KubeObject, secret: KubeObject | undefined, opts: GatherOptions): Promise<ClientConfigFacts> {
  const secretName: string = cc.spec?.kubeConfigSecret?.name ?? '';
  const f: ClientConfigFacts = { controlPlane, namespace: cc.metadata.namespace!, name: cc.metadata.name,
    contextName: cc.spec?.contextName || cc.metadata.name, secretName, credentials: 'invalid', requests: 0 };
  const b64: string | undefined = secret?.data?.kubeconfig;
  if (!secret) return { ...f, problem: `its Secret ${secretName || '(none named)'} does not exist` };
  if (!b64) return { ...f, problem: `its Secret ${secretName} has no key "kubeconfig"` };
  let client: KubeClient;
  let namespace: string;
  try {
    const ctx = storedContext(Buffer.from(b64, 'base64').toString('utf8'), f.contextName, `Secret ${secretName}`);
    f.server = ctx.server;
    namespace = ctx.namespace ?? cc.metadata.namespace!;
    const token = (ctx.kubeconfig.users as { user: { token?: string } }[])[0]?.user.token;
    if (token) {
      const claims = tokenClaims(token);
      f.tokenIssuedAt = claims.issuedAt?.toISOString();
      f.tokenExpiresAt = claims.expiresAt?.toISOString();
      f.serviceAccount = claims.subject?.replace(/^system:serviceaccount:/, '').replace(':', '/');
    }
    client = await createClient(ctx, { timeoutMs: opts.requestTimeoutMs, retries: 0, env: opts.env, log: opts.log && ((l) => opts.log!(`ClientConfig ${f.name} -> ${l}`)) });
  } catch (e) {
    return { ...f, problem: `its kubeconfig is unusable: ${credentialFailure(e).reason}` };
  }
  try {
    const allowed = await operatorAccessAllowed(client, namespace);
    f.credentials = allowed ? 'ok' : 'forbidden';
    if (!allowed) f.problem = `the credentials authenticate but may not manage CassandraDatacenters in namespace ${namespace}`;
  } catch (e) {
    const why = credentialFailure(e);
    f.credentials = why.kind === 'invalid' ? 'invalid' : why.kind;
    f.problem = why.reason;
  }
  f.requests = client.requestCount;
  return f;
}
