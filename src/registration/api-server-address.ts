// Which API server address a data plane's registration holds: the one the user gave (--api-server),
// else the kubeconfig's, else (when that is a loopback address, as kind, k3d and minikube write it) an
// address the control plane's pods may reach instead. Pure: the candidates come from objects the data
// plane serves; the routability probe dials them from the control plane and the first that works wins.
import ipaddr from 'ipaddr.js';
import { apiServerTargetOf } from '../routability/contract.js';

/** Where a candidate address comes from, as the report and the notes say it. */
export type AddressSource = 'api-server flag' | 'kubeconfig' | 'advertised' | 'kind' | 'k3d' | 'minikube';

export interface AddressCandidate { address: string; source: AddressSource }

/** The parts of a Node the choice reads. */
export interface NodeFacts {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { providerID?: string };
  status?: { addresses?: { type: string; address: string }[] };
}

/** The parts of an EndpointSlice (discovery.k8s.io/v1) the choice reads. */
export interface EndpointSliceFacts {
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export interface ApiServerFacts {
  context: string;
  /** The kubeconfig's server URL. */
  server: string;
  /** --api-server for this context. */
  override?: string;
  nodes: NodeFacts[];
  /** The `default/kubernetes` Service's EndpointSlices: the API server's advertised address. */
  endpointSlices: EndpointSliceFacts[];
}

/** An address only the machine itself reaches: loopback, `localhost`, or 0.0.0.0 (k3d writes it). */
export function isHostLocal(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  return ipaddr.isValid(h) && ['loopback', 'unspecified'].includes(ipaddr.parse(h).range());
}

/** "https://host:port" of a URL (the probe dials host and port; a path would be dropped). */
export function originOf(url: string): string {
  const u = new URL(url);
  return apiServerTargetOf(u.hostname, Number(u.port) || (u.protocol === 'http:' ? 80 : 443));
}

/** kind's API server inside the Docker network: `<cluster>-control-plane:6443` (kind get kubeconfig --internal). */
function kindCandidates(nodes: NodeFacts[]): AddressCandidate[] {
  // kind sets providerID kind://docker/<cluster>/<node> on every node; the first control-plane node has the API server.
  const clusters = new Set(nodes.map((n) => /^kind:\/\/[^/]+\/([^/]+)\//.exec(n.spec?.providerID ?? '')?.[1]).filter((c): c is string => !!c));
  return [...clusters].map((c) => ({ address: apiServerTargetOf(`${c}-control-plane`, 6443), source: 'kind' }));
}

/** k3d's load balancer in the cluster's Docker network: `k3d-<cluster>-serverlb:6443`. */
function k3dCandidates(nodes: NodeFacts[]): AddressCandidate[] {
  // k3s sets providerID k3s://<node>; k3d names server nodes k3d-<cluster>-server-<n>.
  const clusters = new Set(nodes.map((n) => /^k3s:\/\/k3d-(.+)-(?:server|agent)-\d+$/.exec(n.spec?.providerID ?? '')?.[1]
    ?? /^k3d-(.+)-server-\d+$/.exec(n.metadata.name)?.[1]).filter((c): c is string => !!c));
  return [...clusters].map((c) => ({ address: apiServerTargetOf(`k3d-${c}-serverlb`, 6443), source: 'k3d' }));
}

/**
 * minikube's API server listens on 8443 of its primary node: the node's own address (`minikube ip`) and
 * the profile's container name in the profile's Docker network.
 */
function minikubeCandidates(nodes: NodeFacts[]): AddressCandidate[] {
  const primary = nodes.filter((n) => n.metadata.labels?.['minikube.k8s.io/name'] && n.metadata.labels['minikube.k8s.io/primary'] !== 'false');
  return primary.flatMap((n) => {
    const profile = n.metadata.labels!['minikube.k8s.io/name']!;
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    return [...(ip ? [{ address: apiServerTargetOf(ip, 8443), source: 'minikube' as const }] : []),
      { address: apiServerTargetOf(profile, 8443), source: 'minikube' as const }];
  });
}

/** The API server's advertised addresses (every cluster publishes them), ready endpoints only, loopback left out. */
function advertisedCandidates(slices: EndpointSliceFacts[]): AddressCandidate[] {
  return slices.flatMap((s) => {
    const port = (s.ports ?? []).find((p) => p.name === 'https')?.port ?? s.ports?.[0]?.port;
    if (!port) return [];
    return (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses ?? [])
      .filter((ip) => !isHostLocal(ip)).map((ip) => ({ address: apiServerTargetOf(ip, port), source: 'advertised' as const }));
  });
}

/**
 * The addresses to try for a data plane's API server, best first. --api-server wins outright; a
 * kubeconfig address that is not host-local is the one to use. A host-local one is what kind, k3d and
 * minikube (on macOS) write, which pods elsewhere cannot reach: then the advertised address, the
 * distribution's in-network names, and last the kubeconfig's own address (it works only where the
 * control plane's pods share the data plane's host, as on the test bed or with host networking).
 */
export function apiServerCandidates(f: ApiServerFacts): AddressCandidate[] {
  if (f.override) return [{ address: originOf(f.override), source: 'api-server flag' }];
  const own: AddressCandidate = { address: originOf(f.server), source: 'kubeconfig' };
  if (!isHostLocal(new URL(f.server).hostname)) return [own];
  const all = [...advertisedCandidates(f.endpointSlices), ...kindCandidates(f.nodes), ...k3dCandidates(f.nodes), ...minikubeCandidates(f.nodes), own];
  return all.filter((c, i) => all.findIndex((d) => d.address === c.address) === i);
}

/** The first candidate (in the order given) that the control plane reached. */
export function chooseAddress(candidates: AddressCandidate[], reached: (address: string) => boolean): AddressCandidate | undefined {
  return candidates.find((c) => reached(c.address));
}
