import type { Check } from '../checks/catalog.js';
import type { ExitCodeName } from '../errors.js';
import type { ApplyAction } from '../kube/resources.js';

/** The versioned schema of every machine-readable report (schema/report.schema.json). */
export const REPORT_SCHEMA_VERSION = 'k8ssandra.io/report/v1';

export interface Changes { created: number; changed: number; unchanged: number }

export interface ClusterReport {
  context: string;
  /** `none`: no operator found there; `unknown`: the cluster could not be asked (status only). */
  role: 'control-plane' | 'data-plane' | 'none' | 'unknown';
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
  // Set by status only:
  reachable?: boolean;
  /** Why the cluster could not be asked (never a credential). */
  unreachableReason?: string;
  operatorReady?: boolean;
  cassOperatorReady?: boolean;
  /** API requests sent to this cluster. */
  requests?: number;
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
}

/** A datacenter of a K8ssandraCluster, as its CassandraDatacenter reports it in the cluster that runs it. */
export interface DatacenterReport {
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
  datacenters: DatacenterReport[];
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
  summary: string;
  error?: { message: string; hint?: string; exit: ExitCodeName };
  elapsedMs: number;
  /** status: every K8ssandraCluster of the control plane with its datacenters. */
  k8ssandraClusters?: K8ssandraClusterReport[];
  /** status: API requests sent in all, to every cluster. */
  requests?: number;
}

export const noChanges = (): Changes => ({ created: 0, changed: 0, unchanged: 0 });

export function countChanges(objects: { action: ApplyAction }[]): Changes {
  const c = noChanges();
  for (const o of objects) c[o.action]++;
  return c;
}
