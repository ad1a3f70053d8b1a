// The I/O half of the API server address choice (api-server-address.ts): what a data plane serves
// about its API server. Read only when the kubeconfig's address is host-local and no --api-server is given.
import type { Cluster } from '../kube/connect.js';
import { listObjects } from '../kube/resources.js';
import { apiServerCandidates, isHostLocal, type AddressCandidate, type EndpointSliceFacts, type NodeFacts } from './api-server-address.js';

/**
 * The candidate addresses for a data plane's API server. Nodes and the `default/kubernetes`
 * EndpointSlices are read best effort: a user who may not list them still gets the kubeconfig's address.
 */
export async function candidatesFor(dp: Cluster, override: string | undefined): Promise<AddressCandidate[]> {
  const server = dp.ctx.server;
  if (override || !isHostLocal(new URL(server).hostname)) return apiServerCandidates({ context: dp.ctx.name, server, override, nodes: [], endpointSlices: [] });
  const [nodes, endpointSlices] = await Promise.all([
    listObjects<NodeFacts>(dp.client, { apiVersion: 'v1', kind: 'Node' }).catch(() => []),
    listObjects<EndpointSliceFacts>(dp.client, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace: 'default' },
      { labelSelector: 'kubernetes.io/service-name=kubernetes' }).catch(() => []),
  ]);
  dp.client.signal?.throwIfAborted();
  return apiServerCandidates({ context: dp.ctx.name, server, nodes, endpointSlices });
}
