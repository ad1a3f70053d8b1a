// Pure verdicts for `uninstall`: does a K8ssandraCluster still need a cluster that is being uninstalled?
import { check, type Check } from '../checks/catalog.js';

/** A K8ssandraCluster as uninstall needs it: where each of its datacenters runs. */
export interface ClusterUse {
  namespace: string;
  name: string;
  /** `spec.cassandra.datacenters[]`: `k8sContext` is a ClientConfig's `spec.contextName`, empty for the control plane itself. */
  datacenters: { name: string; k8sContext: string }[];
}

/** A CassandraDatacenter found in a data plane, with the K8ssandraCluster its labels name (if any). */
export interface LocalDatacenter { namespace: string; name: string; cluster?: string }

export interface InUseInput {
  /**
   * The control plane, when one is known (--control-plane, or an uninstalled cluster that runs it):
   * whether it is uninstalled too, and its K8ssandraClusters, or why they could not be listed.
   */
  controlPlane?: { context: string; uninstalled: boolean; clusters?: ClusterUse[]; problem?: string };
  /**
   * Every other uninstalled cluster. `knownAs`: the context name the control plane knows it by (its
   * ClientConfig's `spec.contextName`, else its own context name). `datacenters`: the CassandraDatacenters
   * it runs, read only when no control plane is known (undefined with `problem` when unreadable).
   */
  dataPlanes: { context: string; knownAs: string; datacenters?: LocalDatacenter[]; problem?: string }[];
  force: boolean;
}

const FORCE_HINT = 'or pass --force to uninstall anyway';

/** The datacenters (as "namespace/name dc X") of the K8ssandraClusters that run one in context `knownAs`. */
export function usersOf(clusters: ClusterUse[], knownAs: string): string[] {
  return clusters.flatMap((k) => k.datacenters.filter((d) => d.k8sContext === knownAs).map((d) => `${k.namespace}/${k.name} dc ${d.name}`));
}

const list = (items: string[]) => `${items.slice(0, 5).join(', ')}${items.length > 5 ? ` and ${items.length - 5} more` : ''}`;

/**
 * DATA-PLANE-IN-USE: a data plane that a K8ssandraCluster datacenter uses must not be uninstalled while
 * its control plane stays: the control-plane operator would fail every reconcile of that cluster ("No
 * known client for context-name"). A failure, unless --force (then a warning). When the control plane
 * goes too, nothing is left to fail: CONTROL-PLANE-IN-USE warns instead that the K8ssandraClusters stay
 * without an operator (custom resources are kept on purpose, for an install later). Without a known
 * control plane, the data plane's own CassandraDatacenters are the evidence, and the report says the
 * control plane was not asked.
 */
export function inUseChecks(i: InUseInput): Check[] {
  const out: Check[] = [];
  const cp = i.controlPlane;
  const refuse = (message: string, context: string, hint: string) =>
    check('DATA-PLANE-IN-USE', i.force ? 'warn' : 'fail', i.force ? `${message} (--force: uninstalled anyway)` : message, { context, ...(i.force ? {} : { hint }) });

  if (cp && !cp.uninstalled) {
    for (const dp of i.dataPlanes) {
      if (!cp.clusters) {
        out.push(refuse(`${dp.context}: cannot tell whether a K8ssandraCluster uses it: the K8ssandraClusters in ${cp.context} could not be listed (${cp.problem ?? 'unknown error'})`,
          dp.context, `make sure ${cp.context} answers and you may list K8ssandraClusters there, ${FORCE_HINT}`));
        continue;
      }
      const users = usersOf(cp.clusters, dp.knownAs);
      const owners = cp.clusters.filter((k) => usersOf([k], dp.knownAs).length);
      const edit = `kubectl --context ${cp.context} edit k8ssandracluster ${owners.length === 1 ? `-n ${owners[0]!.namespace} ${owners[0]!.name}` : '-n NAMESPACE NAME'}`;
      out.push(users.length
        ? refuse(`${dp.context}: ${users.length === 1 ? 'a K8ssandraCluster datacenter uses' : `${users.length} K8ssandraCluster datacenters use`} it (k8sContext ${dp.knownAs}): ${list(users)}; `
          + `without it, the control plane ${cp.context} fails every reconcile of ${owners.length === 1 ? 'that cluster' : 'those clusters'}`,
          dp.context, `remove ${users.length === 1 ? 'that datacenter' : 'those datacenters'} from ${owners.length === 1 ? 'its K8ssandraCluster' : 'their K8ssandraClusters'} first `
          + `(${edit}), or delete ${owners.length === 1 ? 'the K8ssandraCluster' : 'them'}, ${FORCE_HINT}`)
        : check('DATA-PLANE-IN-USE', 'pass', `${dp.context}: no K8ssandraCluster in ${cp.context} uses it`, { context: dp.context }));
    }
  } else if (!cp) {
    for (const dp of i.dataPlanes) {
      if (!dp.datacenters) {
        out.push(refuse(`${dp.context}: cannot tell whether a K8ssandraCluster uses it: no control plane named, and its CassandraDatacenters could not be listed (${dp.problem ?? 'unknown error'})`,
          dp.context, `name the control plane: --control-plane CONTEXT, ${FORCE_HINT}`));
        continue;
      }
      const owned = dp.datacenters.filter((d) => d.cluster).map((d) => `${d.cluster} dc ${d.name}`);
      out.push(owned.length
        ? refuse(`${dp.context} runs ${owned.length === 1 ? 'a datacenter' : `${owned.length} datacenters`} of a K8ssandraCluster: ${list(owned)}; its control plane would fail every reconcile of it`,
          dp.context, `remove the datacenter from its K8ssandraCluster in the control plane first, ${FORCE_HINT}`)
        : check('DATA-PLANE-IN-USE', 'warn', `${dp.context}: no K8ssandraCluster datacenter runs here, but no control plane was named, so whether a K8ssandraCluster names this context was not checked`,
          { context: dp.context, hint: `name it to check (and to remove the registration there too): k8ssandra uninstall --contexts ${dp.context} --control-plane CONTEXT` }));
    }
  }

  if (cp?.uninstalled) {
    const context = cp.context;
    if (!cp.clusters) {
      out.push(check('CONTROL-PLANE-IN-USE', 'warn', `${context}: the K8ssandraClusters could not be listed (${cp.problem ?? 'unknown error'}): any that exist stay without an operator`, { context }));
    } else if (!cp.clusters.length) {
      out.push(check('CONTROL-PLANE-IN-USE', 'pass', `${context}: no K8ssandraCluster`, { context }));
    } else {
      const names = cp.clusters.map((k) => `${k.namespace}/${k.name}`);
      out.push(check('CONTROL-PLANE-IN-USE', 'warn', `${context}: ${names.length === 1 ? 'K8ssandraCluster' : `${names.length} K8ssandraClusters`} ${list(names)} `
        + `stay${names.length === 1 ? 's' : ''} without an operator: kept with their data and Cassandra nodes, but nothing reconciles them until k8ssandra is installed again`,
        { context, hint: `to remove a K8ssandraCluster, delete it before uninstalling, while the operator still runs (its finalizer blocks deletion afterwards): kubectl --context ${context} delete k8ssandracluster -n NAMESPACE NAME` }));
    }
  }
  return out;
}
