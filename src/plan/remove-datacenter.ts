// Taking a datacenter out of a K8ssandraCluster, as the operator does it (controllers/k8ssandra/cleanup.go
// checkDcDeletion and deleteDc, schemas.go checkUserKeyspacesReplicationForDecommission): once the
// datacenter leaves spec.cassandra.datacenters, its status entry goes to decommissionProgress
// UpdatingReplication; the operator refuses, at every reconcile, while a user keyspace still replicates
// to it; then Decommissioning, the CassandraDatacenter is annotated and deleted (cass-operator
// decommissions its nodes), and the status entry goes. Pure knowledge here; the reads are in kube/.
import { check, type Check } from '../checks/catalog.js';
import type { KubeObject } from '../model/object.js';
import { clusterNotReadyReasons, datacenterNames, REBUILD_DC_ANNOTATION } from './datacenter.js';

export const UPDATING_REPLICATION = 'UpdatingReplication';
export const DECOMMISSIONING = 'Decommissioning';

/** A keyspace and its replication per datacenter (NetworkTopologyStrategy: dc -> replicas; `class` left out). */
export interface Keyspace { name: string; replication: Record<string, number> }

/** What the keyspaces read through a pod of the cluster said, or why they could not be read. */
export type KeyspaceFacts = { keyspaces: Keyspace[] } | { unreadable: string };

/** Keyspaces the operator itself manages (schemas.go getInternalKeyspaces): never the user's to alter. */
export function internalKeyspaces(kc: KubeObject): string[] {
  const ks = ['system_auth', 'system_distributed', 'system_traces', 'system', 'system_schema', 'system_views', 'system_virtual_schema'];
  const dcs = (kc.spec?.cassandra?.datacenters ?? []) as { stargate?: unknown }[];
  if (kc.spec?.stargate || dcs.some((d) => d.stargate)) ks.push('data_endpoint_auth');
  if (kc.spec?.reaper) ks.push(kc.spec.reaper.keyspace || 'reaper_db');
  return ks;
}

/** The management API's replication map (strings, with `class`) as numbers per datacenter. */
export function replicationOf(raw: Record<string, string>): Record<string, number> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'class' && k !== 'replication_factor').map(([k, v]) => [k, Number(v)]));
}

const quoteIdent = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);

/** The statement that takes `dc` out of a keyspace's replication, or undefined when no other datacenter holds it. */
export function alterStatement(ks: Keyspace, dc: string): string | undefined {
  const rest = Object.entries(ks.replication).filter(([d]) => d !== dc);
  if (!rest.length) return undefined;
  return `ALTER KEYSPACE ${quoteIdent(ks.name)} WITH replication = {'class': 'NetworkTopologyStrategy', ${rest.map(([d, n]) => `'${d}': ${n}`).join(', ')}};`;
}

/** The user keyspaces that still replicate to `dc`. */
export const keyspacesOn = (kc: KubeObject, keyspaces: Keyspace[], dc: string) =>
  keyspaces.filter((k) => !internalKeyspaces(kc).includes(k.name) && (k.replication[dc] ?? 0) > 0);

export interface RemovalPlan {
  /** `removed`: the datacenter goes from the spec now; `following`: it has left the spec already and the operator is at work; `gone`: nothing left. */
  action: 'removed' | 'following' | 'gone';
  /** The datacenter's index in spec.cassandra.datacenters (action removed). */
  index?: number;
  /** The kubeconfig context of its cluster ('' : the control plane's). */
  k8sContext: string;
}

/** What remove-dc does with the datacenter, from the K8ssandraCluster as read. */
export function planRemoval(kc: KubeObject, dc: string): RemovalPlan {
  const dcs = (kc.spec?.cassandra?.datacenters ?? []) as { metadata?: { name?: string }; k8sContext?: string }[];
  const index = dcs.findIndex((d) => d.metadata?.name === dc);
  const st = kc.status?.datacenters?.[dc];
  if (index >= 0) return { action: 'removed', index, k8sContext: dcs[index]!.k8sContext ?? '' };
  return st ? { action: 'following', k8sContext: st.contextName ?? '' } : { action: 'gone', k8sContext: '' };
}

/** The JSON patch that takes the datacenter out of the spec; it fails (409) if the object changed since it was read. */
export function removalPatch(kc: KubeObject, plan: RemovalPlan, dc: string): object[] {
  return [
    { op: 'replace', path: '/metadata/resourceVersion', value: kc.metadata.resourceVersion },
    { op: 'test', path: `/spec/cassandra/datacenters/${plan.index}/metadata/name`, value: dc },
    { op: 'remove', path: `/spec/cassandra/datacenters/${plan.index}` },
  ];
}

/**
 * The checks before anything changes (each a refusal, exit 3): not the last datacenter, the cluster
 * initialized and Ready, no other datacenter being decommissioned or rebuilt, no user keyspace still
 * replicating to it. Keyspaces that cannot be read are a warning: the operator's own refusal is then
 * the check, and remove-dc reports it as soon as the operator says it.
 */
export function removalChecks(kc: KubeObject, dc: string, keyspaces: KeyspaceFacts, tasks: string[]): Check[] {
  const name = kc.metadata.name;
  const names = datacenterNames(kc);
  const others = names.filter((n) => n !== dc);
  const checks: Check[] = [];
  checks.push(others.length ? check('DC-REMOVE-LAST', 'pass', `${name} keeps ${others.join(', ')}`)
    : check('DC-REMOVE-LAST', 'fail', `${dc} is the last datacenter of K8ssandraCluster ${name}: removing it would delete the cluster's data`,
      { hint: `add another datacenter first (k8ssandra add-dc), or delete the K8ssandraCluster itself if that is what you mean` }));

  const status = kc.status ?? {};
  // What add-dc asks before a datacenter joins, a leaving one needs too.
  const why = clusterNotReadyReasons(kc);
  checks.push(why.length ? check('DC-REMOVE-CLUSTER-READY', 'fail', `K8ssandraCluster ${name} is not ready for a datacenter to leave: ${why.join('; ')}`,
    { hint: 'wait until every datacenter is Ready and the operator reports no error (k8ssandra status), then run remove-dc again' })
    : check('DC-REMOVE-CLUSTER-READY', 'pass', `K8ssandraCluster ${name} is initialized and every datacenter is Ready`));

  const busy = [
    ...Object.entries(status.datacenters ?? {}).filter(([n, s]: [string, any]) => n !== dc && s?.decommissionProgress).map(([n, s]: [string, any]) => `datacenter ${n} is being decommissioned (${s.decommissionProgress})`),
    ...(kc.metadata.annotations?.[REBUILD_DC_ANNOTATION] ? [`datacenter ${kc.metadata.annotations[REBUILD_DC_ANNOTATION]} is being rebuilt`] : []),
    ...tasks.map((t) => `task ${t} is running`),
  ];
  checks.push(busy.length ? check('DC-REMOVE-IN-PROGRESS', 'fail', `another change is under way in ${name}: ${busy.join('; ')}`,
    { hint: 'wait until it has finished (k8ssandra status shows it), then run remove-dc again' })
    : check('DC-REMOVE-IN-PROGRESS', 'pass', `no other datacenter of ${name} is being decommissioned or rebuilt, and no task runs`));

  checks.push(keyspaceCheck(kc, dc, keyspaces));
  return checks;
}

function keyspaceCheck(kc: KubeObject, dc: string, facts: KeyspaceFacts): Check {
  if ('unreadable' in facts) {
    return check('DC-REMOVE-KEYSPACES', 'warn', `the keyspaces could not be read (${facts.unreadable}): the operator checks them itself, and remove-dc reports its refusal`,
      { hint: `before removing ${dc}, make sure no user keyspace replicates to it (cqlsh: DESCRIBE KEYSPACES; SELECT * FROM system_schema.keyspaces)` });
  }
  const on = keyspacesOn(kc, facts.keyspaces, dc);
  if (!on.length) return check('DC-REMOVE-KEYSPACES', 'pass', `no user keyspace replicates to ${dc}`);
  return check('DC-REMOVE-KEYSPACES', 'fail', `user keyspaces still replicate to ${dc}: ${on.map((k) => k.name).join(', ')}; the operator would refuse to decommission it`,
    { hint: alterHint(on, dc) });
}

const statementOrWhy = (k: Keyspace, dc: string) =>
  alterStatement(k, dc) ?? `keyspace ${k.name} is only in ${dc}: replicate it elsewhere first, or drop it (its data goes with ${dc})`;

/** The statements to run (cqlsh), or what to do for a keyspace that lives only in the datacenter. */
export function alterHint(keyspaces: Keyspace[], dc: string): string {
  const lines = keyspaces.map((k) => statementOrWhy(k, dc));
  return `run ${lines.join(' ')} (or pass --alter-keyspaces to have remove-dc run them), then run remove-dc again`;
}

/**
 * What to do about the operator's refusal: the statement for each keyspace it named. Where remove-dc
 * could read a keyspace's replication the statement is exact; where not, it names the datacenters that
 * stay and leaves the replica counts to the user (they are in DESCRIBE KEYSPACE).
 */
export function refusalHint(refused: string[], known: Keyspace[], dc: string, staying: string[]): string {
  const statements = refused.map((name) => {
    const k = known.find((x) => x.name === name);
    if (k) return statementOrWhy(k, dc);
    return `ALTER KEYSPACE ${quoteIdent(name)} WITH replication = {'class': 'NetworkTopologyStrategy', ${staying.map((d) => `'${d}': <replicas>`).join(', ')}};`
      + ` (the replicas each keeps: DESCRIBE KEYSPACE ${quoteIdent(name)})`;
  });
  const runIt = refused.every((name) => known.some((x) => x.name === name)) ? ' (or pass --alter-keyspaces to have remove-dc run them)' : '';
  return `run ${statements.join(' ')}${runIt}; the operator goes on by itself once no user keyspace replicates to ${dc} (run remove-dc again to follow it)`;
}

/**
 * Set by a remove-dc that follows a decommission the operator refused before it began: the operator
 * tries again at once on an annotation change (after a refusal it waits longer each time), so that the
 * user's ALTER KEYSPACE is seen, or the refusal repeated, within seconds.
 */
export const RETRY_DECOMMISSION_ANNOTATION = 'k8ssandra.io/decommission-retry';

/** The operator's refusal, from its Warning events on the K8ssandraCluster: the keyspaces it names. */
export function refusedKeyspaces(messages: string[], dc: string): string[] {
  const re = new RegExp(`cannot decommission DC ${dc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: keyspace (\\S+) still has replicas on it`);
  return [...new Set(messages.map((m) => re.exec(m)?.[1]).filter((k): k is string => !!k))];
}

/** Where the operator is with the datacenter, as a line: its status entry and whether its CassandraDatacenter exists. */
export function decommissionState(kc: KubeObject, dc: string, cassdcExists: boolean | undefined): { done: boolean; state: string } {
  const st = kc.status?.datacenters?.[dc];
  if (!st && cassdcExists === false) return { done: true, state: 'gone: the CassandraDatacenter is deleted and the operator forgot the datacenter' };
  if (!st) return { done: false, state: 'left the status; its CassandraDatacenter is still being deleted' };
  const progress = st.decommissionProgress || 'waiting for the operator';
  return { done: false, state: `${progress}${cassdcExists === false ? ' (CassandraDatacenter deleted)' : ''}` };
}
