// The API server address a registration holds: candidates from what each distribution serves, the
// control plane's probe of them, the choice, the checks and the report.
import { describe, expect, it } from 'vitest';
import { apiServerCandidates, originOf, type EndpointSliceFacts, type NodeFacts } from '../../src/registration/api-server-address.js';
import { apiServerChecks, markUsed } from '../../src/routability/api-servers.js';
import { addressesFound, addressesReached } from '../../src/routability/check.js';
import { planApiServers } from '../../src/routability/plan.js';
import { connectorPod } from '../../src/routability/pods.js';
import { apiServersFromReports } from '../../src/routability/results.js';
import { renderReport } from '../../src/report/render.js';
import type { ApiServerReach, Report } from '../../src/report/model.js';
import { styler } from '../../src/ui/style.js';

/** The default/kubernetes EndpointSlice as the API server reconciler writes it. */
const slice = (ip: string, port: number, ready = true): EndpointSliceFacts => ({
  endpoints: [{ addresses: [ip], conditions: { ready } }], ports: [{ name: 'https', port, protocol: 'TCP' }] });

// kind v0.2x, cluster "dp1" (context kind-dp1): kind sets providerID kind://docker/<cluster>/<node>.
const kindNode: NodeFacts = {
  metadata: { name: 'dp1-control-plane', labels: { 'kubernetes.io/hostname': 'dp1-control-plane', 'node-role.kubernetes.io/control-plane': '' } },
  spec: { providerID: 'kind://docker/dp1/dp1-control-plane' },
  status: { addresses: [{ type: 'InternalIP', address: '172.18.0.3' }, { type: 'Hostname', address: 'dp1-control-plane' }] },
};
const kindWorker: NodeFacts = { metadata: { name: 'dp1-worker' }, spec: { providerID: 'kind://docker/dp1/dp1-worker' },
  status: { addresses: [{ type: 'InternalIP', address: '172.18.0.4' }] } };
// k3d v5, cluster "dp1" (context k3d-dp1): k3s sets providerID k3s://<node>; the kubeconfig says 0.0.0.0.
const k3dNode: NodeFacts = {
  metadata: { name: 'k3d-dp1-server-0', labels: { 'node.kubernetes.io/instance-type': 'k3s', 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' } },
  spec: { providerID: 'k3s://k3d-dp1-server-0' },
  status: { addresses: [{ type: 'InternalIP', address: '172.19.0.2' }, { type: 'Hostname', address: 'k3d-dp1-server-0' }] },
};
// minikube, profile "dp1", docker driver on macOS: the kubeconfig says 127.0.0.1; the API server listens on 8443.
const minikubeNode: NodeFacts = {
  metadata: { name: 'dp1', labels: { 'minikube.k8s.io/name': 'dp1', 'minikube.k8s.io/primary': 'true', 'minikube.k8s.io/version': 'v1.34.0' } },
  status: { addresses: [{ type: 'InternalIP', address: '192.168.58.2' }, { type: 'Hostname', address: 'dp1' }] },
};
const minikubeSecond: NodeFacts = { metadata: { name: 'dp1-m02', labels: { 'minikube.k8s.io/name': 'dp1', 'minikube.k8s.io/primary': 'false' } },
  status: { addresses: [{ type: 'InternalIP', address: '192.168.58.3' }] } };

const addresses = (c: { address: string; source: string }[]) => c.map((x) => `${x.source} ${x.address}`);

describe('API server address candidates', () => {
  it('kind: the advertised node address, <cluster>-control-plane:6443, then the kubeconfig\'s', () => {
    expect(addresses(apiServerCandidates({ context: 'kind-dp1', server: 'https://127.0.0.1:41234', nodes: [kindNode, kindWorker], endpointSlices: [slice('172.18.0.3', 6443)] })))
      .toEqual(['advertised https://172.18.0.3:6443', 'kind https://dp1-control-plane:6443', 'kubeconfig https://127.0.0.1:41234']);
  });

  it('k3d: the advertised address, k3d-<cluster>-serverlb:6443, then the kubeconfig\'s 0.0.0.0', () => {
    expect(addresses(apiServerCandidates({ context: 'k3d-dp1', server: 'https://0.0.0.0:39871', nodes: [k3dNode], endpointSlices: [slice('172.19.0.2', 6443)] })))
      .toEqual(['advertised https://172.19.0.2:6443', 'k3d https://k3d-dp1-serverlb:6443', 'kubeconfig https://0.0.0.0:39871']);
  });

  it('minikube: the primary node\'s address and the profile name on 8443, each address once', () => {
    expect(addresses(apiServerCandidates({ context: 'dp1', server: 'https://127.0.0.1:52341', nodes: [minikubeNode, minikubeSecond], endpointSlices: [slice('192.168.58.2', 8443)] })))
      .toEqual(['advertised https://192.168.58.2:8443', 'minikube https://dp1:8443', 'kubeconfig https://127.0.0.1:52341']);
  });

  it('leaves out endpoints that are not ready or host-local (the test bed advertises loopback)', () => {
    expect(addresses(apiServerCandidates({ context: 'dp1', server: 'https://localhost:6443', nodes: [],
      endpointSlices: [slice('10.0.0.9', 6443, false), slice('127.0.0.1', 6443), { endpoints: [{ addresses: ['fd00::5'] }], ports: [{ port: 443 }] }] })))
      .toEqual(['advertised https://[fd00::5]:443', 'kubeconfig https://localhost:6443']);
  });

  it('a kubeconfig address that is not host-local (EKS, GKE, AKS) is the only candidate; --api-server wins over everything', () => {
    const eks = 'https://0a1b2c3d4e.gr7.us-west-2.eks.amazonaws.com';
    expect(addresses(apiServerCandidates({ context: 'eks', server: eks, nodes: [kindNode], endpointSlices: [slice('10.0.1.5', 443)] })))
      .toEqual([`kubeconfig ${eks}:443`]);
    expect(addresses(apiServerCandidates({ context: 'kind-dp1', server: 'https://127.0.0.1:41234', override: 'https://lb.example:6443/', nodes: [kindNode], endpointSlices: [] })))
      .toEqual(['api-server flag https://lb.example:6443']);
    expect(originOf('https://[::1]:6443/k8s/clusters/c-1')).toBe('https://[::1]:6443');
  });
});

describe('API servers reached from the control plane', () => {
  const kindCandidates = apiServerCandidates({ context: 'dp1', server: 'https://127.0.0.1:41234', nodes: [kindNode], endpointSlices: [slice('172.18.0.3', 6443)] });
  const dataPlanes = [{ context: 'dp1', server: 'https://127.0.0.1:41234', candidates: kindCandidates },
    { context: 'dp2', server: 'https://127.0.0.1:20020', candidates: [{ address: 'https://127.0.0.1:20020', source: 'kubeconfig' as const }] }];
  const targets = dataPlanes.flatMap((dp) => dp.candidates.map((c) => ({ to: dp.context, address: c.address, source: c.source })));
  const [plan] = planApiServers('cp', targets, 'r9');

  it('one connector pod in the control plane carries every candidate in PROBE_API_SERVERS', () => {
    expect(plan!.name).toBe('k8ssandra-probe-connector-r9-api');
    const env = connectorPod('ns', 'r9', plan!, { ports: [7000], image: 'busybox', timeoutMs: 2000 }).spec.containers[0].env;
    expect(env).toContainEqual({ name: 'PROBE_API_SERVERS', value: 'https://172.18.0.3:6443 https://dp1-control-plane:6443 https://127.0.0.1:41234 https://127.0.0.1:20020' });
    expect(planApiServers('cp', [], 'r9')).toEqual([]);
  });

  it('uses the first candidate that worked, in the candidates\' order; a data plane with none fails naming its addresses', () => {
    const reports = new Map([[plan!.name, { results: [
      { target: 'https://127.0.0.1:41234', ok: true, ms: 2 }, // answered first, but it is the last choice
      { target: 'https://172.18.0.3:6443', ok: false, ms: 3, error: 'refused' },
      { target: 'https://dp1-control-plane:6443', ok: true, ms: 9 },
      { target: 'https://127.0.0.1:20020', ok: false, ms: 2000, error: 'timeout' },
    ] }]]);
    const reach = markUsed(apiServersFromReports([plan!], reports), dataPlanes);
    expect(reach.filter((r) => r.used).map((r) => r.address)).toEqual(['https://dp1-control-plane:6443']);
    expect(reach.find((r) => r.address === 'https://127.0.0.1:20020')).toEqual({ from: 'cp', to: 'dp2', address: 'https://127.0.0.1:20020', source: 'kubeconfig', ok: false, latencyMs: 2000, error: 'timeout' });
    const routability = { runId: 'r9', namespace: 'ns', probeImage: 'busybox', timeoutMs: 2000, ports: [7000], listeners: [], pairs: [], apiServers: reach };
    expect(addressesFound(routability)).toEqual({ dp1: 'https://dp1-control-plane:6443' });
    expect(addressesReached(routability)).toEqual(['dp1']);
    const checks = apiServerChecks(reach, dataPlanes);
    expect(checks.map((c) => [c.id, c.context, c.status])).toEqual([['API-SERVER-REACHABLE', 'dp1', 'pass'], ['API-SERVER-REACHABLE', 'dp2', 'fail']]);
    expect(checks[0]!.message).toContain('registration holds https://dp1-control-plane:6443 (kind\'s in-network name)');
    expect(checks[1]!.message).toBe('dp2: pods in cp cannot reach its API server at https://127.0.0.1:20020 (timeout)');
    expect(checks[1]!.hint).toContain('--api-server dp2=https://ADDRESS:PORT');
  });

  it('a connector without a report fails every address it carried', () => {
    const reach = apiServersFromReports([plan!], new Map([[plan!.name, { failed: 'probe failed: the probe image has no nc' }]]));
    expect(reach.every((r) => !r.ok && r.error === 'probe failed: the probe image has no nc')).toBe(true);
    const checks = apiServerChecks(markUsed(reach, dataPlanes), dataPlanes);
    expect(checks[0]!.message).toMatch(/^dp1: pods in cp cannot reach its API server at any of https:\/\/172\.18\.0\.3:6443 \(probe failed/);
  });

  it('the text report lists each address with its source and result; a candidate passed over is no FAIL', () => {
    const reach: ApiServerReach[] = [
      { from: 'cp', to: 'dp1', address: 'https://192.0.2.2:20010', source: 'advertised', ok: false, latencyMs: 0, error: 'unroutable' },
      { from: 'cp', to: 'dp1', address: 'https://127.0.0.1:20010', source: 'kubeconfig', ok: true, latencyMs: 4, used: true },
      { from: 'cp', to: 'dp2', address: 'https://127.0.0.1:20020', source: 'kubeconfig', ok: false, latencyMs: 2000, error: 'timeout' }];
    const report = { schemaVersion: 1, command: 'check', ok: false, dryRun: false, checks: [], clusters: [], registrations: [],
      routability: { runId: 'r', namespace: 'ns', probeImage: 'busybox', timeoutMs: 2000, ports: [7000],
        listeners: [{ context: 'cp', podIP: '10.0.0.1' }, { context: 'dp1', podIP: '10.1.0.1' }],
        pairs: [{ from: 'cp', to: 'dp1', port: 7000, target: '10.1.0.1:7000', ok: true, ms: 1 }, { from: 'dp1', to: 'cp', port: 7000, target: '10.0.0.1:7000', ok: true, ms: 1 }],
        apiServers: reach } } as unknown as Report;
    const text = renderReport(report, 'text', styler(false));
    expect(text).toContain('API servers, from a pod of cp (TCP and TLS):');
    expect(text).toContain('  dp1: https://192.0.2.2:20010 (advertised) not reached (unroutable)');
    expect(text).toContain('  dp1: https://127.0.0.1:20010 (kubeconfig) ok 4ms, used for the registration');
    expect(text).toContain('  dp2: https://127.0.0.1:20020 (kubeconfig) FAIL timeout');
  });
});
