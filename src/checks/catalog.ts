/**
 * Every check the tool can report, with a stable ID. README "Checks" has a section per ID (same
 * anchor, lower-case) saying what it means and how to fix it; a test keeps the two in step.
 */
export const CHECKS = {
  'K8S-REACHABLE': 'The API server answers and accepts the credentials',
  'K8S-VERSION': 'The Kubernetes version is supported',
  'K8S-PERMISSIONS': 'The user may do everything the command needs (SelfSubjectAccessReview)',
  'K8S-SAME-CLUSTER': 'No cluster is named twice under different contexts',
  'CERT-MANAGER': 'cert-manager is installed, or will be',
  'OPERATOR-EXISTING': 'An existing operator install has a compatible mode and version',
  'POD-CIDR-OVERLAP': 'Pod CIDRs of different clusters do not overlap',
  'POD-ADMISSION': 'Every pod of the release would be admitted in its namespace (server-side dry run: Pod Security, policy webhooks, quotas)',
  'ROUTABILITY': 'Pod IPs are routable between every pair of clusters',
  'API-SERVER-REACHABLE': 'Pods of the control plane reach each data plane\'s API server (TCP and TLS) at the address its registration holds',
  'REGISTER-SERVER-ADDRESS': 'The API server address written for the control plane is reachable from it',
  'REGISTRATION-VERIFIED': 'The credentials in a ClientConfig authenticate to their data plane with the intended permissions',
  'TOKEN-LIFETIME': 'The API server grants the token lifetime asked; where it caps it, the control plane gets a credential that lasts',
  'OPERATOR-OWNER': 'The operator was installed by k8ssandra, not by Helm or by hand (taking it over needs --force)',
  'UPGRADE-DIRECTION': 'The upgrade goes to a newer release; a downgrade needs --force and says what could break',
  'OPERATOR-READY': 'The operator Deployments are available',
  'STATUS-DATA-PLANE-UNREACHABLE': 'Every data plane registered with the control plane answers',
  'STATUS-DATA-PLANE-UNREGISTERED': 'Every cluster that runs the operator as a data plane is registered with the control plane',
  'STATUS-CLIENTCONFIG-AUTH': 'The credentials in each ClientConfig still authenticate to their data plane with the operator role',
  'STATUS-CLIENTCONFIG-UNUSED': 'Every ClientConfig is used by a K8ssandraCluster datacenter',
  'STATUS-TOKEN-EXPIRING': 'No ClientConfig token is expired or close to expiry',
  'STATUS-VERSION-SKEW': 'Every cluster runs the same operator and cass-operator versions',
  'STATUS-NO-CONTROL-PLANE': 'One of the clusters runs the operator as the control plane',
  'STATUS-TWO-CONTROL-PLANES': 'Only one cluster runs the operator as the control plane',
  'STATUS-OPERATOR-NOT-READY': 'The operator and cass-operator Deployments are installed and available in every cluster',
  'STATUS-DC-NOT-READY': 'Every datacenter of every K8ssandraCluster is Ready with all its nodes',
  'CUSTOM-RESOURCES': 'No custom resource (K8ssandraCluster, CassandraDatacenter, ...) is deleted with the CRDs unless --force',
  'REGISTRATION-REMOVED': 'An uninstalled data plane is also removed from its control plane',
  'DATA-PLANE-IN-USE': 'No data plane that a K8ssandraCluster datacenter uses is uninstalled while its control plane stays, unless --force',
  'DC-REMOVE-LAST': 'The datacenter to remove is not the last one of its K8ssandraCluster',
  'DC-REMOVE-CLUSTER-READY': 'The K8ssandraCluster is initialized and every datacenter is Ready before one leaves',
  'DC-REMOVE-IN-PROGRESS': 'No other datacenter is being decommissioned or rebuilt, and no K8ssandraTask runs',
  'DC-REMOVE-KEYSPACES': 'No user keyspace still replicates to the datacenter to remove (the operator refuses otherwise)',
  'STATUS-DC-DECOMMISSION': 'No datacenter is being decommissioned, or the operator is not refusing to',
  'CONTROL-PLANE-IN-USE': 'Uninstalling the control plane leaves no K8ssandraCluster unmanaged without saying so',
  'MOVE-DATACENTERS-READY': 'Every datacenter is Ready and the operator has reconciled every K8ssandraCluster before the control plane moves',
  'MOVE-NO-REBUILD': 'No decommission or rebuild is under way when the control plane moves',
  'MOVE-NO-TASK': 'No K8ssandraTask or CassandraTask is running when the control plane moves',
  'MOVE-SECRETS': 'Every Secret the K8ssandraClusters use (superuser, Reaper, Medusa) is found to move with them',
  'MOVE-LOST-DATACENTERS': 'A move from an export says which datacenters ran in the lost control plane\'s own cluster',
  'STATUS-CONTROL-PLANE-MOVE': 'A move of the control plane that has not finished is reported as such, with the command that finishes it',
} as const;

export type CheckId = keyof typeof CHECKS;
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  id: CheckId;
  /** The check's title (the catalogue's text). */
  name: string;
  context?: string;
  status: CheckStatus;
  message: string;
  hint?: string;
}

export function check(id: CheckId, status: CheckStatus, message: string, extra: { context?: string; hint?: string } = {}): Check {
  return { id, name: CHECKS[id], status, message, ...extra };
}

export const failed = (checks: Check[]) => checks.filter((c) => c.status === 'fail');
