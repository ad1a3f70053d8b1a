// The Cassandra schema as the operator reads it: the management API of a Cassandra pod (port 8080, plain
// HTTP unless the datacenter sets managementApiAuth), reached through the API server's pod proxy, so
// the user needs no route to pod IPs (RBAC: get on pods/proxy in the datacenter's namespace). Where the
// API server will not proxy (a pod IP it refuses, such as a loopback address; mTLS management API),
// the reason is said, never guessed.
import { describe } from '../errors.js';
import { alterStatement, replicationOf, type Keyspace, type KeyspaceFacts } from '../plan/remove-datacenter.js';
import { ApiError, type KubeClient } from './client.js';
import { listObjects } from './resources.js';

const DATACENTER_LABEL = 'cassandra.datastax.com/datacenter';
const MANAGEMENT_PORT = 8080;

interface Pod { metadata: { name: string }; status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] } }

/** A Ready Cassandra pod of one of the datacenters (in the cluster that runs it), as the proxy path to its management API. */
async function managementApi(client: KubeClient, namespace: string, dcs: string[]): Promise<string | undefined> {
  for (const dc of dcs) {
    const pods = await listObjects<Pod>(client, { apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector: `${DATACENTER_LABEL}=${dc}` });
    const ready = pods.find((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    if (ready) return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(`${ready.metadata.name}:${MANAGEMENT_PORT}`)}/proxy`;
  }
  return undefined;
}

/** Every keyspace with its replication, read through one pod of the named datacenters; or why it cannot be. */
export async function readKeyspaces(clusters: { client: KubeClient; dcs: string[] }[], namespace: string): Promise<KeyspaceFacts> {
  const reasons: string[] = [];
  for (const c of clusters) {
    try {
      const base = await managementApi(c.client, namespace, c.dcs);
      if (!base) { reasons.push(`${c.client.context}: no Ready Cassandra pod of ${c.dcs.join(', ')}`); continue; }
      const names = await c.client.request<string[]>({ path: `${base}/api/v0/ops/keyspace`, retries: 1 });
      const keyspaces: Keyspace[] = await Promise.all(names.map(async (name) => ({ name,
        replication: replicationOf(await c.client.request<Record<string, string>>({ path: `${base}/api/v0/ops/keyspace/replication`, query: { keyspaceName: name }, retries: 1 })) })));
      return { keyspaces };
    } catch (e) {
      reasons.push(`${c.client.context}: ${e instanceof ApiError ? `the API server's pod proxy answered ${e.status}: ${e.message}` : describe(e)}`);
    }
  }
  return { unreadable: reasons.join('; ') || 'no cluster of the other datacenters is in the kubeconfig' };
}

/** Takes `dc` out of each keyspace's replication (the ALTER KEYSPACE the hint names), through the same pod proxy. */
export async function alterKeyspaces(client: KubeClient, namespace: string, dcs: string[], keyspaces: Keyspace[], dc: string, note: (line: string) => void): Promise<void> {
  const base = await managementApi(client, namespace, dcs);
  if (!base) throw new Error(`no Ready Cassandra pod of ${dcs.join(', ')} in ${client.context}`);
  for (const k of keyspaces) {
    const rest = Object.entries(k.replication).filter(([d]) => d !== dc);
    if (!rest.length) throw new Error(`keyspace ${k.name} is only in ${dc}: replicate it elsewhere first, or drop it`);
    await client.request({ method: 'POST', path: `${base}/api/v0/ops/keyspace/alter`, idempotent: true,
      body: { keyspace_name: k.name, replication_settings: rest.map(([d, n]) => ({ dc_name: d, replication_factor: n })) } });
    note(`ran ${alterStatement(k, dc)}`);
  }
}
