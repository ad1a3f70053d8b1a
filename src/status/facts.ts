// What `status` learns from the clusters: plain data, so that the verdicts (findings.ts, report.ts) are pure
// functions that unit tests feed by hand. Nothing here holds a credential.
import type { LockReport } from '../report/model.js';
import type { NotAvailableReason } from '../kube/workloads.js';
import type { InstallRecord } from '../plan/install-record.js';
import type { ExistingOperator } from '../kube/operators.js';

export interface DeploymentFacts {
  namespace: string;
  name?: string;
  version?: string;
  available: boolean;
  replicas?: { desired: number; available: number };
}

/** A CassandraDatacenter as the cluster that runs it reports it. */
export interface DatacenterFacts {
  namespace: string;
  name: string;
  size: number;
  /** `status.cassandraOperatorProgress`: Ready, Updating. */
  progress?: string;
  /** The `Ready` condition is True. */
  readyCondition: boolean;
  /** Ready replicas of the StatefulSets it owns; undefined when it owns none (yet). */
  readyNodes?: number;
}

export interface ClientConfigFacts {
  /** The control plane's context. */
  controlPlane: string;
  namespace: string;
  name: string;
  /** `spec.contextName`, else the ClientConfig's name: what a K8ssandraCluster's `k8sContext` names. */
  contextName: string;
  secretName: string;
  /** The API server its kubeconfig points at. */
  server?: string;
  serviceAccount?: string;
  tokenIssuedAt?: string;
  tokenExpiresAt?: string;
  /**
   * ok: the credentials may manage CassandraDatacenters; forbidden: they authenticate but lack the role;
   * rejected: the server refused them; unreachable: the server did not answer; invalid: the Secret or
   * its kubeconfig is missing or broken.
   */
  credentials: 'ok' | 'forbidden' | 'rejected' | 'unreachable' | 'invalid';
  problem?: string;
  requests: number;
}

export interface K8ssandraClusterFacts {
  controlPlane: string;
  namespace: string;
  name: string;
  error?: string;
  datacenters: { name: string; k8sContext: string; size: number }[];
  /** Datacenters that left the spec and that the operator is still taking out: the context that runs them, and the keyspaces for which it refuses to go on. */
  decommissions?: { name: string; context: string; progress: string; refusedFor: string[] }[];
}

export interface ControlPlaneFacts {
  namespace: string;
  clientConfigs: ClientConfigFacts[];
  /** The ClientConfigs could not be listed (see readProblems): `clientConfigs` is then empty, not known to be. */
  clientConfigsUnread?: boolean;
  k8ssandraClusters: K8ssandraClusterFacts[];
}

export interface ContextFacts {
  context: string;
  server: string;
  reachable: boolean;
  unreachableReason?: string;
  kubernetesVersion?: string;
  operators: ExistingOperator[];
  cassOperators: DeploymentFacts[];
  certManager?: boolean;
  /** What k8ssandra recorded at install in the operator namespace (absent: installed otherwise, or before records). */
  installRecord?: InstallRecord;
  /** CassandraDatacenters in every namespace; undefined when they were not read (see readProblems). */
  datacenters?: DatacenterFacts[];
  /** Set when the cluster runs the control plane. */
  controlPlane?: ControlPlaneFacts;
  /** Why the operator Deployments that are not available are not, by namespace/name, where Kubernetes says. */
  whyNotAvailable?: Record<string, NotAvailableReason>;
  /** Runs of k8ssandra that hold the lock of this cluster now (a command under way), one per namespace. */
  locks?: LockReport[];
  /** Lists that failed although the cluster answered (forbidden, ...). */
  readProblems: string[];
  requests: number;
  elapsedMs: number;
}

export interface StatusFacts {
  contexts: ContextFacts[];
  /** The contexts were named with --contexts (every one is part of the installation). */
  explicit: boolean;
  /** Contexts of the kubeconfig that could not even be resolved. */
  skipped: { context: string; reason: string }[];
  /** When the facts were read (ms since epoch), for token expiry. */
  now: number;
}
