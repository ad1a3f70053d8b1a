// The bed's one fake node per cluster, made by the bed itself rather than by `kwokctl scale node` (whose
// addresses are off this machine), and what `status` reads back of it.
import { join } from 'node:path';
import { adminClient } from './health.js';
import { KubeError, withClient } from './kube.js';
import { clusterDir, startTimeoutMs } from './kwokctl.js';
import { NODE_NAME, podCidr } from './topology.js';
import { waitFor } from './wait.js';

/**
 * kwokctl's `scale node` would give the node InternalIP 192.0.2.1 and podCIDR 10.0.0.0/24, both off this
 * machine; this node has the cluster's loopback pod CIDR, and kwok (run with --node-ip=127.0.0.1)
 * reports InternalIP 127.0.0.1. No taints: every pod may land on it.
 */
function nodeManifest(context: string): NodeObject {
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '1Ti' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '',
      },
    },
    spec: { podCIDR: podCidr(context), podCIDRs: [podCidr(context)] },
    status: { capacity, allocatable: capacity },
  };
}

export interface NodeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: { type: string; status: string }[];
    addresses?: { type: string; address: string }[];
  };
}

export const NODE_PATH = `/api/v1/nodes/${NODE_NAME}`;

export function nodeReady(node: NodeObject): boolean {
  return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Creates the node if missing, waits for kwok to make it Ready and for the default service account. */
export async function ensureNode(context: string): Promise<void> {
  await withClient(adminClient(context), async (kube) => {
    let node = await kube.get<NodeObject>(NODE_PATH).catch((e) => {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    });
    const manifest = nodeManifest(context);
    if (!node) node = await kube.request<NodeObject>('POST', '/api/v1/nodes', { body: manifest });
    if (!node.status?.allocatable?.pods) await kube.mergePatch(`${NODE_PATH}/status`, { status: manifest.status });
    await waitFor(`node ${NODE_NAME} in ${context} to be Ready`, startTimeoutMs(), async () =>
      nodeReady(await kube.get<NodeObject>(NODE_PATH)) ? true : undefined, join(clusterDir(context), 'logs'));
    // Pods are refused until the service-account controller has made the namespace's default account.
    await waitFor(`default service account in ${context}`, startTimeoutMs(), async () =>
      (await kube.get('/api/v1/namespaces/default/serviceaccounts/default').catch(() => undefined)) ? true : undefined,
    join(clusterDir(context), 'logs'));
  });
}
