import type { Check } from '../checks/catalog.js';
import type { ExitCodeName } from '../errors.js';
import type { ApplyAction } from '../kube/resources.js';
import type { InstallRecord } from '../plan/install-record.js';
import type { ClusterUpgradeSummary } from '../plan/upgrade.js';
import type { MovePhase, MoveStep } from '../plan/move.js';

/** The versioned schema of every machine-readable report (schema/report.schema.json). */
export const REPORT_SCHEMA_VERSION = 'k8ssandra.io/report/v1';

export interface Changes { created: number; changed: number; unchanged: number; deleted?: number; kept?: number }

/** What a command did to an object: applied (install, register) or removed/left alone (uninstall). */
export type ObjectAction = ApplyAction | 'deleted' | 'kept';

export interface ClusterReport {
  context: string;
  /** `none`: no operator found there (also uninstall of a cluster without one); `unknown`: the cluster could not be asked (status only). */
  role: 'control-plane' | 'data-plane' | 'none' | 'unknown';
  server: string;
  kubernetesVersion?: string;
  operatorVersion?: string;
  cassOperatorVersion?: string;
  certManager?: 'present' | 'installed' | 'missing';
  namespace: string;
  ready: boolean;
  changes: Changes;
  objects: { ref: string; action: ObjectAction; reason?: string }[];
  elapsedMs: number;
  // Set by status only:
  reachable?: boolean;
  /** Why the cluster could not be asked (never a credential). */
  unreachableReason?: string;
  operatorReady?: boolean;
  cassOperatorReady?: boolean;
  /** API requests sent to this cluster. */
  requests?: number;
  /** What k8ssandra recorded at install there (the ConfigMap k8ssandra-install): versions and sources, never a credential. */
  installRecord?: InstallRecord;
  /** status: runs of k8ssandra that hold the lock of this cluster now. */
  locks?: LockReport[];
  /**
   * Set only when the command stopped before the end: `failed` (a step failed here: see `problem`) or
   * `stopped` (another cluster failed; this one got through the steps that ran, see `objects`).
   */
  outcome?: 'failed' | 'stopped';
  /** The step that failed here and why (one line, never a credential). */
  problem?: string;
}

/** A run that holds the lock of a cluster (a Lease in the namespace it works in). */
export interface LockReport {
  namespace: string;
  /** "alice@ci-42 (install, pid 4242, started 14:02:11 UTC)" */
  holder: string;
  command: string;
  user: string;
  host: string;
  pid: number;
  /** When the run took the lock, and when it last said it is alive (ISO times). */
  since: string;
  renewedAt: string;
  /** Not renewed for longer than it lasts: the run is gone, and the next run takes the lock over. */
  expired: boolean;
}

export interface RegistrationReport {
  context: string;
  clientConfig: string;
  secret: string;
  serviceAccount: string;
  server: string;
  verified: boolean;
  action: ObjectAction;
  tokenExpiresAt?: string;
  // Set by status only:
  /** The control plane's context and the namespace the ClientConfig lives in. */
  controlPlane?: string;
  namespace?: string;
  /** The kubeconfig context of the user that reaches the same cluster, if any. */
  userContext?: string;
  /** Whether a K8ssandraCluster datacenter names this context. */
  used?: boolean;
  /** Why the credentials could not be verified or were rejected. */
  problem?: string;
  /** The credential stored: a bounded token (TokenRequest) or a service-account token Secret's token, which does not expire. */
  credential?: 'token' | 'secret';
  /** Bounded tokens minted or kept: the lifetime asked (new tokens) and the lifetime the API server granted. */
  tokenLifetimeAskedSeconds?: number;
  tokenLifetimeGrantedSeconds?: number;
}

/** A datacenter of a K8ssandraCluster, as its CassandraDatacenter reports it in the cluster that runs it. */
export interface DatacenterStatus {
  name: string;
  /** The ClientConfig context of the dc (`k8sContext`); empty means the control-plane cluster. */
  k8sContext: string;
  /** The user's kubeconfig context it was read through, when there is one. */
  context?: string;
  size: number;
  readyNodes?: number;
  /** `status.cassandraOperatorProgress` (Ready, Updating), or `NotCreated` / `Unknown`. */
  progress: string;
  ready: boolean;
  problem?: string;
}

export interface K8ssandraClusterReport {
  name: string;
  namespace: string;
  controlPlane: string;
  ready: boolean;
  error?: string;
  datacenters: DatacenterStatus[];
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

/**
 * One address of a data plane's API server, dialled from a pod of the control plane (TCP and TLS):
 * the address its registration would hold, or one of the candidates tried when that is host-local.
 */
export interface ApiServerReach {
  /** The control plane's context. */
  from: string;
  /** The data plane's context. */
  to: string;
  /** "https://host:port". */
  address: string;
  /** Where the address comes from: api-server flag | kubeconfig | advertised | kind | k3d | minikube. */
  source: string;
  ok: boolean;
  latencyMs?: number;
  /** timeout | refused | dns | tls | unroutable | ... */
  error?: string;
  /** The address the registration holds (the first candidate that worked). */
  used?: boolean;
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
  /** The control plane's pods to each data plane's API server (absent when there is no data plane to register). */
  apiServers?: ApiServerReach[];
}

/** What `add-dc` did to a K8ssandraCluster (additive to schema v1: absent in other commands' reports). */
/** remove-dc: a datacenter taken out of a K8ssandraCluster. */
export interface DatacenterRemovalReport {
  cluster: string;
  namespace: string;
  name: string;
  /** The kubeconfig context that runs it. */
  context: string;
  /** `removed`: taken out of the spec by this run; `following`: it had left already, and this run followed the operator; `gone`: nothing to remove. */
  action: 'removed' | 'following' | 'gone';
  /** Where the operator is: UpdatingReplication, Decommissioning, gone, ... */
  state: string;
  /** The datacenter is gone: out of the status, its CassandraDatacenter deleted. */
  done: boolean;
  /** The operator refuses to decommission it while these user keyspaces replicate to it. */
  refusedFor?: string[];
  /** The data plane that ran it hosts no datacenter any more (it can be uninstalled). */
  dataPlaneFree?: boolean;
  /** --uninstall-data-plane: whether that uninstall succeeded. */
  dataPlaneUninstalled?: boolean;
}

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
  /** remove-dc: the datacenter taken out, and where the operator is with it. */
  datacenterRemoval?: DatacenterRemovalReport;
  error?: { message: string; hint?: string; exit: ExitCodeName };
  elapsedMs: number;
  /** status: every K8ssandraCluster of the control plane with its datacenters. */
  k8ssandraClusters?: K8ssandraClusterReport[];
  /** status: API requests sent in all, to every cluster. */
  requests?: number;
  /** upgrade: the release it goes to, and each cluster's plan (objects added, changed, removed, kept and why). */
  upgrade?: { to: string; clusters: ClusterUpgradeSummary[] };
  /** move-control-plane: where the move stood when the run began, the steps it (still) had to do, and what it carries. */
  move?: MoveReport;
  /** export: the file written and what it holds (names only: no Secret data). */
  export?: { file: string; context: string; exportedAt: string; k8ssandraClusters: string[]; secrets: string[]; unreplicatedSecrets: string[] };
}

export interface MoveReport {
  from: string;
  to: string;
  phase: MovePhase;
  fromExport?: boolean;
  steps: MoveStep[];
  k8ssandraClusters: string[];
  secrets: string[];
  missingSecrets: string[];
}

export const noChanges = (): Changes => ({ created: 0, changed: 0, unchanged: 0 });

export function countChanges(objects: { action: ObjectAction }[]): Changes {
  const c = noChanges();
  for (const o of objects) c[o.action] = (c[o.action] ?? 0) + 1;
  return c;
}
