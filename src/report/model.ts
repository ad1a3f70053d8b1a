import type { Check } from '../checks/catalog.js';
import type { ExitCodeName } from '../errors.js';
import type { ApplyAction } from '../kube/resources.js';

/** The versioned schema of every machine-readable report (schema/report.schema.json). */
export const REPORT_SCHEMA_VERSION = 'k8ssandra.io/report/v1';

export interface Changes { created: number; changed: number; unchanged: number }

export interface ClusterReport {
  context: string;
  role: 'control-plane' | 'data-plane';
  server: string;
  kubernetesVersion?: string;
  operatorVersion?: string;
  cassOperatorVersion?: string;
  certManager?: 'present' | 'installed' | 'missing';
  namespace: string;
  ready: boolean;
  changes: Changes;
  objects: { ref: string; action: ApplyAction }[];
  elapsedMs: number;
}

export interface RegistrationReport {
  context: string;
  clientConfig: string;
  secret: string;
  serviceAccount: string;
  server: string;
  verified: boolean;
  action: ApplyAction;
  tokenExpiresAt?: string;
}

/** One probe: a TCP connection from a pod in `from` to the listener pod of `to`, on `port`. */
export interface RoutabilityPair {
  from: string;
  to: string;
  port: number;
  /** "ip:port" the connector dialled. */
  target: string;
  ok: boolean;
  /** Time to connect or to fail. */
  ms?: number;
  /** timeout | refused | reset | ehostunreach | ... (see docs/routability.md). */
  error?: string;
}

/** Pod-IP routability between clusters: every ordered pair of clusters, per port. */
export interface RoutabilityReport {
  runId: string;
  namespace: string;
  probeImage: string;
  timeoutMs: number;
  ports: number[];
  listeners: { context: string; podIP: string }[];
  pairs: RoutabilityPair[];
}

/** What `add-dc` did to a K8ssandraCluster (additive to schema v1: absent in other commands' reports). */
export interface DatacenterReport {
  /** The K8ssandraCluster's metadata.name and namespace (in the control plane). */
  cluster: string;
  namespace: string;
  /** The datacenter's metadata.name: also its CassandraDatacenter's name, in `namespace` of `context`. */
  name: string;
  /** The kubeconfig context the datacenter runs in, and what the K8ssandraCluster calls it ('' = the control plane). */
  context: string;
  k8sContext: string;
  size: number;
  /** The datacenter whose settings filled what the flags did not set, and which settings those were. */
  copiedFrom?: string;
  copied: string[];
  /** User-keyspace replication factors set through the k8ssandra.io/dc-replication annotation. */
  replication?: Record<string, number>;
  /** `created`: appended (or would be, in a dry run); `unchanged`: it already existed with these settings. */
  action: 'created' | 'unchanged';
  /** How the context became able to hold it: it is the control plane, was already registered, or was installed and registered now. */
  dataPlane: 'control-plane' | 'registered' | 'installed';
  /** Whether its CassandraDatacenter was seen Ready, and the last state seen while waiting. */
  ready: boolean;
  state?: string;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  command: string;
  ok: boolean;
  exitCode: number;
  dryRun: boolean;
  clusters: ClusterReport[];
  registrations: RegistrationReport[];
  checks: Check[];
  routability?: RoutabilityReport;
  summary: string;
  datacenter?: DatacenterReport;
  error?: { message: string; hint?: string; exit: ExitCodeName };
  elapsedMs: number;
}

export const noChanges = (): Changes => ({ created: 0, changed: 0, unchanged: 0 });

export function countChanges(objects: { action: ApplyAction }[]): Changes {
  const c = noChanges();
  for (const o of objects) c[o.action]++;
  return c;
}
