import { isDeepStrictEqual } from 'node:util';
import { CliError, usageError } from '../errors.js';
import type { KubeObject } from '../model/object.js';
import { closest } from '../util/closest.js';

/**
 * Pure planning for `add-dc`: what the new `spec.cassandra.datacenters[]` entry of a K8ssandraCluster
 * is, whether the cluster may take it, and the JSON patch that adds it. No I/O here.
 */

/** Upstream's annotation (apis/k8ssandra/v1alpha1/constants.go): user-keyspace replication for DCs being added. */
export const DC_REPLICATION_ANNOTATION = 'k8ssandra.io/dc-replication';
/** Upstream's condition, set once when every datacenter of a new cluster first became ready. */
export const CASSANDRA_INITIALIZED = 'CassandraInitialized';
/**
 * What the K8ssandraCluster reconciler puts on the K8ssandraCluster (never on a CassandraDatacenter) while
 * it rebuilds a datacenter added to an existing cluster (a full stream of its data); it removes it once done.
 */
export const REBUILD_DC_ANNOTATION = 'k8ssandra.io/rebuild-dc';

/**
 * Fields copied from an existing datacenter when the new one does not set them: how a Cassandra node
 * is shaped. Fields tied to the source's Kubernetes cluster (k8sContext, networking, tolerations,
 * service accounts, extra volumes and containers, per-node ConfigMaps, Stargate) are never copied,
 * and racks keep their names only: their node affinity names zones of the source cluster.
 */
export const COPIED_FIELDS = ['racks', 'storageConfig', 'config', 'resources', 'serverVersion', 'serverImage', 'mgmtAPIHeap', 'softPodAntiAffinity'] as const;

const MAX_INT32 = 2 ** 31 - 1;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KEYSPACE = /^[A-Za-z0-9_]{1,48}$/;

export type Replication = Record<string, number>;

export interface AddDcRequest {
  /** metadata.name of the K8ssandraCluster. */
  cluster: string;
  /** metadata.name of the new datacenter (also its Cassandra DC name and its CassandraDatacenter's name). */
  dc: string;
  /** The kubeconfig context the datacenter goes to. */
  context: string;
  /** What the K8ssandraCluster calls that cluster: the ClientConfig context, '' for the control plane itself. */
  k8sContext: string;
  size?: number;
  replication?: Replication;
  /** The datacenter whose settings fill what the request does not set (default: the first). */
  copyFrom?: string;
}

export interface DatacenterPlan {
  /** `created`: the entry will be appended; `unchanged`: it exists with the requested settings. */
  action: 'created' | 'unchanged';
  entry: Record<string, any>;
  size: number;
  copiedFrom?: string;
  /** What was taken from `copiedFrom`, in the words the report uses. */
  copied: string[];
  replication?: Replication;
  /** The new value of the dc-replication annotation, when it changes. */
  annotation?: string;
}

export function validateDnsLabel(flag: string, value: string): string {
  if (!DNS_LABEL.test(value)) {
    throw usageError(`${flag} ${JSON.stringify(value)} is not a valid name`, 'use a DNS label: lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit');
  }
  return value;
}

export function validateObjectName(flag: string, value: string): string {
  if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    throw usageError(`${flag} ${JSON.stringify(value)} is not a valid Kubernetes name`, 'use lower-case letters, digits, "-" and "."');
  }
  return value;
}

/** `--size N`: a whole number of Cassandra nodes, at least 1 (the CRD's own minimum). */
export function parseSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_INT32) {
    throw usageError(`--size ${text} is not a whole number of nodes of at least 1`, 'e.g. --size 3');
  }
  return n;
}

/** `--replication ks1=3,ks2=3`: the replication factor of each user keyspace in the new datacenter (0: not replicated). */
export function parseReplication(text: string | undefined): Replication | undefined {
  if (text === undefined) return undefined;
  const out: Replication = {};
  for (const part of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || !KEYSPACE.test(m[1]!)) {
      throw usageError(`--replication entry ${JSON.stringify(part)} is not KEYSPACE=FACTOR`, 'e.g. --replication ks1=3,ks2=3 (keyspace names: letters, digits, "_"; 0 means not replicated)');
    }
    if (m[1]! in out) throw usageError(`--replication names keyspace ${m[1]} twice`, 'name each keyspace once');
    const rf = Number(m[2]);
    if (rf > 1000) throw usageError(`--replication ${m[1]}=${m[2]}: replication factor out of range`, 'a replication factor is at most the number of nodes in the datacenter');
    out[m[1]!] = rf;
  }
  return out;
}

const datacentersOf = (kc: KubeObject): any[] => kc.spec?.cassandra?.datacenters ?? [];
const nameOf = (dc: any): string => dc?.metadata?.name ?? '';
/** The Cassandra name of a datacenter: its datacenterName override, else its metadata.name. */
const cassandraNameOf = (dc: any): string => dc?.datacenterName || nameOf(dc);

/** The dc-replication annotation of a cluster, parsed; a value the operator could not read either is refused. */
export function currentReplication(kc: KubeObject): Record<string, Replication> {
  const raw = kc.metadata.annotations?.[DC_REPLICATION_ANNOTATION];
  if (!raw) return {};
  try {
    const v = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, Replication>;
  } catch { /* reported below */ }
  throw new CliError('conflict', `K8ssandraCluster ${kc.metadata.name} has a ${DC_REPLICATION_ANNOTATION} annotation that is not a JSON object`,
    { hint: `fix or remove it first (kubectl annotate k8ssandracluster ${kc.metadata.name} ${DC_REPLICATION_ANNOTATION}-)` });
}

/**
 * Decides what adding `req.dc` means for this K8ssandraCluster: a new entry (with defaults copied
 * from an existing datacenter), nothing (it exists with the requested settings), or a usage error
 * (it exists with other settings, or its name is taken).
 */
export function planDatacenter(kc: KubeObject, req: AddDcRequest): DatacenterPlan {
  const dcs = datacentersOf(kc);
  const annotations = currentReplication(kc);
  const existing = dcs.find((d) => nameOf(d) === req.dc);
  if (existing) return unchangedPlan(kc, existing, req, annotations);

  const clash = dcs.find((d) => cassandraNameOf(d) === req.dc);
  if (clash) {
    throw usageError(`datacenter name ${req.dc} is already used by datacenter ${nameOf(clash)} of K8ssandraCluster ${req.cluster} (its datacenterName)`,
      'choose another --dc name');
  }

  const source = sourceDatacenter(dcs, req);
  const copied: string[] = [];
  let size = req.size;
  if (size === undefined) {
    if (!source) throw usageError(`K8ssandraCluster ${req.cluster} has no datacenter to copy a size from`, 'pass --size N');
    size = Number(source.size);
    copied.push('size');
  }
  const entry: Record<string, any> = { metadata: { name: req.dc }, ...(req.k8sContext ? { k8sContext: req.k8sContext } : {}), size };
  for (const field of COPIED_FIELDS) {
    const value = source?.[field];
    if (value === undefined || value === null) continue;
    if (field === 'racks') {
      if (!Array.isArray(value) || !value.length) continue;
      entry.racks = value.map((r: { name: string }) => ({ name: r.name }));
      copied.push('racks (names only)');
    } else {
      entry[field] = structuredClone(value);
      copied.push(field);
    }
  }
  const plan: DatacenterPlan = { action: 'created', entry, size, copied, copiedFrom: copied.length ? nameOf(source) : undefined };
  if (req.replication) {
    plan.replication = req.replication;
    plan.annotation = JSON.stringify({ ...annotations, [req.dc]: req.replication });
  }
  return plan;
}

function sourceDatacenter(dcs: any[], req: AddDcRequest): any {
  if (req.copyFrom === undefined) return dcs[0];
  const found = dcs.find((d) => nameOf(d) === req.copyFrom);
  if (!found) {
    const near = closest(req.copyFrom, dcs.map(nameOf));
    throw usageError(`--copy-from ${req.copyFrom}: K8ssandraCluster ${req.cluster} has no such datacenter`,
      near ? `did you mean ${near}? (datacenters: ${dcs.map(nameOf).join(', ')})` : `datacenters: ${dcs.map(nameOf).join(', ') || 'none'}`);
  }
  return found;
}

/** The datacenter exists: fine when it has what was asked for (a re-run), a usage error otherwise. */
function unchangedPlan(kc: KubeObject, dc: any, req: AddDcRequest, annotations: Record<string, Replication>): DatacenterPlan {
  const differences: string[] = [];
  const k8sContext = dc.k8sContext ?? '';
  if (k8sContext !== req.k8sContext) differences.push(`k8sContext ${k8sContext || '(the control plane)'}, not ${req.k8sContext || '(the control plane)'}`);
  if (req.size !== undefined && dc.size !== req.size) differences.push(`size ${dc.size}, not ${req.size}`);
  const current = annotations[cassandraNameOf(dc)];
  if (req.replication && !isDeepStrictEqual(current, req.replication)) {
    differences.push(`replication ${current ? JSON.stringify(current) : '(none)'}, not ${JSON.stringify(req.replication)}`);
  }
  if (differences.length) {
    throw usageError(`datacenter ${req.dc} already exists in K8ssandraCluster ${req.cluster} with different settings: ${differences.join('; ')}`,
      'choose another --dc name; add-dc never changes an existing datacenter (kubectl edit k8ssandracluster does)');
  }
  return { action: 'unchanged', entry: dc, size: dc.size, copied: [], replication: current };
}

/**
 * Why the cluster may not take a new datacenter now (empty: it may). Upstream adds a DC safely only
 * to an initialised cluster whose datacenters are all Ready and that is not being decommissioned;
 * a spec the operator has not yet reconciled, or a reconcile error, means the same.
 */
export function clusterNotReadyReasons(kc: KubeObject): string[] {
  const reasons: string[] = [];
  const status = kc.status ?? {};
  if (status.observedGeneration !== undefined && kc.metadata.generation !== undefined && status.observedGeneration < Number(kc.metadata.generation)) {
    reasons.push(`the operator has not yet reconciled generation ${kc.metadata.generation} (observed ${status.observedGeneration})`);
  }
  const initialized = (status.conditions ?? []).find((c: any) => c.type === CASSANDRA_INITIALIZED);
  if (initialized?.status !== 'True') reasons.push(`condition ${CASSANDRA_INITIALIZED} is ${initialized?.status ?? 'not set'}`);
  for (const dc of datacentersOf(kc)) {
    const name = nameOf(dc);
    const st = status.datacenters?.[name];
    if (st?.decommissionProgress) { reasons.push(`datacenter ${name} is being decommissioned (${st.decommissionProgress})`); continue; }
    const progress = datacenterProgress(st?.cassandra);
    if (!progress.ready) reasons.push(`datacenter ${name} is ${progress.state}`);
  }
  if (status.error && status.error !== 'None') reasons.push(`the operator reports: ${String(status.error).split('\n')[0]}`);
  return reasons;
}

/** A CassandraDatacenter status (or its copy in the K8ssandraCluster status): Ready when cass-operator says so twice. */
export function datacenterProgress(status: any): { ready: boolean; state: string } {
  if (!status) return { ready: false, state: 'not reporting status yet' };
  const progress: string | undefined = status.cassandraOperatorProgress;
  const cond = (status.conditions ?? []).find((c: any) => c.type === 'Ready');
  const ready = progress === 'Ready' && cond?.status === 'True';
  if (ready) return { ready, state: 'Ready' };
  return { ready, state: `${progress ?? 'without progress'}${cond ? ` (condition Ready ${cond.status})` : ' (no Ready condition)'}` };
}

const pointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The JSON patch that appends the datacenter and sets the annotation. It carries the resourceVersion
 * that was read, so the API server refuses it (409) when anyone changed the object since: nothing
 * another client wrote in between can be lost.
 */
export function datacenterPatch(kc: KubeObject, plan: DatacenterPlan): object[] {
  const ops: object[] = [{ op: 'replace', path: '/metadata/resourceVersion', value: kc.metadata.resourceVersion }];
  if (!kc.spec?.cassandra) ops.push({ op: 'add', path: '/spec/cassandra', value: { datacenters: [plan.entry] } });
  else if (!Array.isArray(kc.spec.cassandra.datacenters)) ops.push({ op: 'add', path: '/spec/cassandra/datacenters', value: [plan.entry] });
  else ops.push({ op: 'add', path: '/spec/cassandra/datacenters/-', value: plan.entry });
  if (plan.annotation !== undefined) {
    ops.push(kc.metadata.annotations
      ? { op: 'add', path: `/metadata/annotations/${pointer(DC_REPLICATION_ANNOTATION)}`, value: plan.annotation }
      : { op: 'add', path: '/metadata/annotations', value: { [DC_REPLICATION_ANNOTATION]: plan.annotation } });
  }
  return ops;
}

/** The k8sContext of every datacenter ('' is the control plane), in spec order, without repeats. */
export function datacenterContexts(kc: KubeObject): string[] {
  return [...new Set(datacentersOf(kc).map((d) => d.k8sContext ?? ''))];
}

export const datacenterNames = (kc: KubeObject): string[] => datacentersOf(kc).map(nameOf);
