// Moving the control plane from one cluster to another: pure planning (no I/O). The flow is
// src/flows/move-control-plane.ts; the reads and writes are in src/kube/move.ts.
import { check, type Check } from '../checks/catalog.js';
import type { KubeObject } from '../model/object.js';
import { clusterNotReadyReasons, datacenterProgress, REBUILD_DC_ANNOTATION } from './datacenter.js';

/** The operator's finalizers: removed by us only once no operator runs as control plane in that cluster. */
export const K8SSANDRA_CLUSTER_FINALIZER = 'k8ssandracluster.k8ssandra.io/finalizer';

/** A K8ssandraTask or CassandraTask that has not finished. */
export const taskRunning = (t: KubeObject): boolean => !t.status?.completionTime;

/** What a control plane holds for its K8ssandraClusters: all a move needs (Secrets apart). */
export interface ControlPlaneObjects {
  k8ssandraClusters: KubeObject[];
  replicatedSecrets: KubeObject[];
  k8ssandraTasks: KubeObject[];
  /** The data planes registered with it: ClientConfig name and the context it names. */
  clientConfigs: { name: string; contextName: string }[];
}

/**
 * Where a move stands, read from the clusters (never from what a run remembers), so that a re-run after
 * a kill at any step knows what is left:
 * - `start`: the old control plane still runs as one; nothing or part of it is copied (copying again is safe).
 * - `switched`: the old operator is a data plane, the new one not yet a control plane: nobody reconciles;
 *   the old cluster's objects are still the truth (they froze when it stopped).
 * - `moved`: the new control plane runs; its objects are the truth; the old cluster may still hold copies.
 * - `done`: moved and nothing left in the old cluster.
 * - `returned`: both run as control planes, and the new one's install record says it is the control plane:
 *   the old one came back after a move from an export; it is switched to data plane and cleaned up.
 * - `conflict`: both run as control planes otherwise (not a state a move makes): refused.
 */
export type MovePhase = 'start' | 'switched' | 'moved' | 'done' | 'returned' | 'conflict';

export function movePhase(s: { fromMode?: 'control-plane' | 'data-plane'; toMode?: 'control-plane' | 'data-plane'; leftInFrom: number;
  toRecordRole?: 'control-plane' | 'data-plane' }): MovePhase {
  if (s.fromMode === 'control-plane' && s.toMode === 'control-plane') return s.toRecordRole === 'control-plane' ? 'returned' : 'conflict';
  if (s.fromMode === 'control-plane') return 'start';
  if (s.toMode !== 'control-plane') return 'switched';
  return s.leftInFrom ? 'moved' : 'done';
}

/**
 * How the new control plane reaches each datacenter. Decision: the datacenters in the new control plane's
 * own cluster get an empty k8sContext (the operator's own client, as upstream defines it), not a
 * registration of the cluster with itself: no token that lets a cluster reach itself, no ClientConfig
 * whose every change restarts the operator, and no ReplicatedSecret that names as a target the cluster
 * its source Secrets live in. The old control plane's own datacenters (empty k8sContext) get its context
 * name, under which it is registered with the new one. Every other k8sContext stays as it is.
 */
export function movedContext(k8sContext: string | undefined, from: string, to: string): string {
  const c = k8sContext ?? '';
  if (c === '') return from;
  return c === to ? '' : c;
}

/** Metadata every cluster sets itself: a copy never carries it. */
function copyMeta(meta: KubeObject['metadata']): KubeObject['metadata'] {
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, generation: _g, selfLink: _s, deletionTimestamp: _d,
    deletionGracePeriodSeconds: _dg, finalizers: _f, ownerReferences: _o, ...rest } = meta as Record<string, unknown>;
  const annotations = { ...(meta.annotations ?? {}) };
  // Our own apply hash describes the object as we applied it in the old cluster, not this copy.
  delete annotations['k8ssandra.io/applied-hash'];
  return { ...(rest as KubeObject['metadata']), ...(Object.keys(annotations).length ? { annotations } : { annotations: undefined }) };
}

const stripUndefined = <T>(o: T): T => JSON.parse(JSON.stringify(o));

/** The K8ssandraCluster as the new control plane gets it: every annotation and label, the spec with the datacenters' contexts as `movedContext` says. */
export function movedK8ssandraCluster(kc: KubeObject, from: string, to: string): KubeObject {
  const spec = structuredClone(kc.spec ?? {});
  for (const dc of spec.cassandra?.datacenters ?? []) {
    const c = movedContext(dc.k8sContext, from, to);
    if (c) dc.k8sContext = c; else delete dc.k8sContext;
  }
  return stripUndefined({ apiVersion: kc.apiVersion, kind: kc.kind, metadata: copyMeta(kc.metadata), spec });
}

/**
 * The status the new object gets through its status subresource: the old one, with observedGeneration
 * set to the new object's generation. Without status the reconciler reads the cluster as new (and marks
 * every datacenter after the first for a rebuild); with an observedGeneration behind the generation it
 * would read the spec as changed and rewrite every CassandraDatacenter whose hash differs.
 */
export function movedStatus(obj: KubeObject, generation: number | undefined): Record<string, unknown> | undefined {
  if (!obj.status) return undefined;
  const status = structuredClone(obj.status);
  if (status.observedGeneration !== undefined && generation !== undefined) status.observedGeneration = generation;
  return status;
}

/** A ReplicatedSecret for the new control plane: its targets follow the datacenters' contexts (none for the new cluster itself). */
export function movedReplicatedSecret(rs: KubeObject, from: string, to: string, fromHostsDatacenters: boolean): KubeObject {
  const spec = structuredClone(rs.spec ?? {});
  if (Array.isArray(spec.replicationTargets)) {
    const targets = spec.replicationTargets.filter((t: any) => (t.k8sContextName ?? '') !== to && (t.k8sContextName ?? '') !== '');
    if (fromHostsDatacenters && !targets.some((t: any) => t.k8sContextName === from)) targets.push({ k8sContextName: from });
    spec.replicationTargets = targets;
  }
  return stripUndefined({ apiVersion: rs.apiVersion, kind: rs.kind, metadata: copyMeta(rs.metadata), spec });
}

/** Any other object (a K8ssandraTask): metadata as every cluster sets it left out, owner references to the new K8ssandraClusters. */
export function movedObject(o: KubeObject, newUids: Map<string, string>): KubeObject {
  const owners = (o.metadata.ownerReferences as any[] | undefined ?? [])
    .filter((r) => r.kind === 'K8ssandraCluster' && newUids.has(r.name)).map((r) => ({ ...r, uid: newUids.get(r.name) }));
  const { status: _s, ...rest } = o;
  return stripUndefined({ ...rest, metadata: { ...copyMeta(o.metadata), ...(owners.length ? { ownerReferences: owners } : {}) } });
}

/** The Secret as the new control plane gets it: its data, type, labels and annotations; nothing a cluster sets. */
export function movedSecret(s: KubeObject): KubeObject {
  const meta = copyMeta(s.metadata);
  return stripUndefined({ apiVersion: 'v1', kind: 'Secret', metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations },
    type: s.type, data: s.data });
}

/** Whether a ReplicatedSecret's selector selects a Secret with these labels (matchLabels; an empty selector selects none). */
export const selects = (rs: KubeObject, labels: Record<string, string> | undefined): boolean => {
  const want = Object.entries(rs.spec?.selector?.matchLabels ?? {});
  return want.length > 0 && want.every(([k, v]) => labels?.[k] === v);
};

/**
 * The Secrets a move takes along, by name: those the ReplicatedSecrets select (superuser, Reaper, Medusa:
 * the operator labels them) and those a K8ssandraCluster names in its spec (`...SecretRef`).
 */
export function secretsToMove(o: ControlPlaneObjects, secrets: { metadata: { name: string; labels?: Record<string, string> } }[]): string[] {
  const names = new Set<string>();
  for (const rs of o.replicatedSecrets) for (const s of secrets) if (selects(rs, s.metadata.labels)) names.add(s.metadata.name);
  for (const kc of o.k8ssandraClusters) for (const n of secretRefs(kc.spec)) names.add(n);
  return [...names].sort();
}

/** Names of Secrets a spec refers to (`superuserSecretRef`, `storageSecretRef`, `cassandraUserSecretRef`, ...). */
export function secretRefs(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (/SecretRef$/.test(k) && x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' && (x as { name: string }).name) out.push((x as { name: string }).name);
      else walk(x);
    }
  };
  walk(value);
  return [...new Set(out)];
}

/** Whether any datacenter of these K8ssandraClusters runs in the old control plane's own cluster (empty k8sContext). */
export const hostsDatacenters = (kcs: KubeObject[]) => kcs.some((kc) => (kc.spec?.cassandra?.datacenters ?? []).some((d: any) => !d.k8sContext));

/** The contexts the K8ssandraClusters' datacenters run in, as the old control plane names them ('' is its own cluster). */
export const usedContexts = (kcs: KubeObject[]) => [...new Set(kcs.flatMap((kc) => (kc.spec?.cassandra?.datacenters ?? []).map((d: any) => d.k8sContext ?? '')))];

/** A CassandraDatacenter or CassandraTask as read in a data plane, with the context it was read in. */
export interface DataPlaneObject { context: string; object: KubeObject }

/**
 * Whether the clusters are quiet enough to move their control plane (pure): every datacenter Ready
 * and the operator caught up (MOVE-DATACENTERS-READY), no decommission or rebuild under way
 * (MOVE-NO-REBUILD), no K8ssandraTask or CassandraTask running (MOVE-NO-TASK). A move while any of
 * these runs would hand the new control plane a half-done operation it reads from a status that no
 * longer moves.
 */
export function moveReadiness(o: ControlPlaneObjects, datacenters: DataPlaneObject[], cassandraTasks: DataPlaneObject[]): Check[] {
  const checks: Check[] = [];
  const notReady: string[] = [];
  const rebuilding: string[] = [];
  for (const kc of o.k8ssandraClusters) {
    const name = `${kc.metadata.namespace}/${kc.metadata.name}`;
    for (const r of clusterNotReadyReasons(kc)) {
      (/decommission/.test(r) ? rebuilding : notReady).push(`${name}: ${r}`);
    }
    const rebuilt = kc.metadata.annotations?.[REBUILD_DC_ANNOTATION];
    if (rebuilt) rebuilding.push(`${name}: datacenter ${rebuilt} is being rebuilt (${REBUILD_DC_ANNOTATION})`);
  }
  for (const { context, object: dc } of datacenters) {
    const name = `CassandraDatacenter ${dc.metadata.namespace}/${dc.metadata.name} in ${context}`;
    const p = datacenterProgress(dc.status);
    if (!p.ready) notReady.push(`${name} is ${p.state}`);
  }
  const tasks = [
    ...o.k8ssandraTasks.filter(taskRunning).map((t) => `K8ssandraTask ${t.metadata.namespace}/${t.metadata.name}`),
    ...cassandraTasks.filter((t) => taskRunning(t.object)).map((t) => `CassandraTask ${t.object.metadata.namespace}/${t.object.metadata.name} in ${t.context}`),
  ];
  const wait = 'wait until it is finished (or fix it), then run the move again; nothing was changed';
  checks.push(notReady.length
    ? check('MOVE-DATACENTERS-READY', 'fail', `not every datacenter is Ready: ${notReady.slice(0, 3).join('; ')}${notReady.length > 3 ? ` and ${notReady.length - 3} more` : ''}`, { hint: wait })
    : check('MOVE-DATACENTERS-READY', 'pass', `every datacenter of ${o.k8ssandraClusters.length} K8ssandraCluster(s) is Ready`));
  checks.push(rebuilding.length
    ? check('MOVE-NO-REBUILD', 'fail', `a decommission or rebuild is under way: ${rebuilding.slice(0, 3).join('; ')}`, { hint: wait })
    : check('MOVE-NO-REBUILD', 'pass', 'no decommission or rebuild under way'));
  checks.push(tasks.length
    ? check('MOVE-NO-TASK', 'fail', `a task is running: ${tasks.slice(0, 3).join('; ')}${tasks.length > 3 ? ` and ${tasks.length - 3} more` : ''}`, { hint: wait })
    : check('MOVE-NO-TASK', 'pass', 'no K8ssandraTask or CassandraTask is running'));
  return checks;
}

/** One line of the move's plan (shown by --dry-run, and in the report). */
export interface MoveStep { step: MoveStepName; context: string; what: string }
export type MoveStepName = 'record' | 'register' | 'copy' | 'switch-old' | 'switch-new' | 'clean-up' | 'finish';

/** The steps a move still has to do from `phase`, in order (pure: --dry-run prints it, the flow runs it). */
export function planMove(p: { from: string; to: string; phase: MovePhase; registered: string[]; clusters: string[]; secrets: string[];
  tasks: number; replicatedSecrets: number; exportFile?: string; stillRecorded?: boolean }): MoveStep[] {
  const { from, to } = p;
  const steps: MoveStep[] = [];
  const finish: MoveStep = { step: 'finish', context: `${from},${to}`, what: `install records: ${to} control-plane, ${from} data-plane` };
  if (p.phase === 'conflict') return steps;
  // Done but a record still says "moving": the run that did it stopped before its last write.
  if (p.phase === 'done') return p.stillRecorded ? [finish] : [];
  steps.push({ step: 'record', context: `${from},${to}`, what: `install records say "moving from ${from} to ${to}"` });
  if (p.registered.length && (p.phase === 'start' || p.phase === 'switched' || p.phase === 'returned')) {
    steps.push({ step: 'register', context: to, what: `register ${p.registered.join(', ')} with ${to} (ClientConfigs; ${to}'s own datacenters use an empty k8sContext)` });
  }
  if (p.phase === 'start' || p.phase === 'switched') {
    steps.push({ step: 'copy', context: to, what: `copy Secrets (${p.secrets.join(', ') || 'none'}), K8ssandraCluster(s) ${p.clusters.join(', ') || 'none'} with annotations and status, `
      + `${p.replicatedSecrets} ReplicatedSecret(s), ${p.tasks} K8ssandraTask(s) from ${p.exportFile ?? from}` });
  }
  if ((p.phase === 'start' || p.phase === 'returned') && !p.exportFile) steps.push({ step: 'switch-old', context: from, what: `switch ${from}'s operator to data-plane mode, wait until no pod of it runs as control plane${p.phase === 'start' ? `, then copy again what changed in ${from} meanwhile` : ''}` });
  if (p.phase === 'start' || p.phase === 'switched') steps.push({ step: 'switch-new', context: to, what: `switch ${to}'s operator to control-plane mode and wait until it is available` });
  if (!p.exportFile) steps.push({ step: 'clean-up', context: from, what: `remove ${from}'s copies (finalizers first, orphaning dependents) and its ClientConfigs; keep its Secrets` });
  steps.push(finish);
  return steps;
}
