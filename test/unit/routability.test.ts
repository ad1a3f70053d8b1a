import { describe, expect, it } from 'vitest';
import type { RoutabilityPair, RoutabilityReport } from '../../src/report/model.js';
import { renderReport } from '../../src/report/render.js';
import { evaluatePreflight, overlappingPodCidrs } from '../../src/checks/preflight.js';
import { installPermissions, type ClusterFacts } from '../../src/checks/preflight-facts.js';
import { diagnosePair, routabilityChecks, type PodNetwork } from '../../src/routability/diagnosis.js';
import { routabilityMatrices } from '../../src/routability/matrix.js';
import { MAX_TARGETS_PER_CONNECTOR, mergeRetry, planConnectors, planRetry } from '../../src/routability/plan.js';
import { connectorOutcome, connectorPod, listenerIp, listenerPod, podProblem } from '../../src/routability/pods.js';
import { pairsFromReports } from '../../src/routability/results.js';
import { styler } from '../../src/ui/style.js';

const PORTS = [7000, 7001, 9042, 8080];
const listeners = [{ context: 'cp', podIP: '10.20.0.5' }, { context: 'dp1', podIP: '10.21.0.5' }, { context: 'dp2', podIP: '10.22.0.5' }];
const net = (over: Partial<PodNetwork> = {}): PodNetwork => ({
  namespace: 'k8ssandra-operator', overlaps: [],
  podCidrs: new Map([['cp', ['10.20.0.0/16']], ['dp1', ['10.21.0.0/16']], ['dp2', ['10.22.0.0/16']]]), ...over,
});

/** Every ordered pair on every port, ok unless `fail` says otherwise. */
function pairs(fail: (p: { from: string; to: string; port: number }) => string | undefined = () => undefined): RoutabilityPair[] {
  const out: RoutabilityPair[] = [];
  for (const a of listeners) for (const b of listeners) for (const port of PORTS) {
    if (a === b) continue;
    const error = fail({ from: a.context, to: b.context, port });
    out.push({ from: a.context, to: b.context, port, target: `${b.podIP}:${port}`, ok: !error, ms: error ? 2000 : 3, ...(error ? { error } : {}) });
  }
  return out;
}
const report = (ps: RoutabilityPair[]): RoutabilityReport =>
  ({ runId: 'abc', namespace: 'k8ssandra-operator', probeImage: 'busybox', timeoutMs: 2000, ports: PORTS, listeners, pairs: ps });
const cut = (x: string, y: string) => (p: { from: string; to: string }) => ((p.from === x && p.to === y) || (p.from === y && p.to === x) ? 'timeout' : undefined);

describe('routability: target plan', () => {
  it('aims every cluster at every other cluster on every port, never at itself', () => {
    const plans = planConnectors(listeners, PORTS, 'r1');
    expect(plans.map((p) => [p.from, p.name, p.targets.length])).toEqual([
      ['cp', 'k8ssandra-probe-connector-r1-0', 8], ['dp1', 'k8ssandra-probe-connector-r1-1', 8], ['dp2', 'k8ssandra-probe-connector-r1-2', 8]]);
    expect(plans[0]!.targets.slice(0, 4)).toEqual(PORTS.map((port) => ({ to: 'dp1', port, target: `10.21.0.5:${port}` })));
    expect(plans.every((p) => p.targets.every((t) => t.to !== p.from))).toBe(true);
  });

  it('splits the targets of many clusters over several connector pods, and brackets IPv6', () => {
    const many = Array.from({ length: 13 }, (_, i) => ({ context: `c${i}`, podIP: `fd00::${i + 1}` }));
    const plans = planConnectors(many, PORTS, 'r2').filter((p) => p.from === 'c0');
    expect(plans.map((p) => p.targets.length)).toEqual([MAX_TARGETS_PER_CONNECTOR, 48 - MAX_TARGETS_PER_CONNECTOR]);
    expect(new Set(plans.map((p) => p.name)).size).toBe(2);
    expect(plans[0]!.targets[0]!.target).toBe('[fd00::2]:7000');
  });

  it('renders probe pods from the templates with the run label, ports, targets and timeout', () => {
    const s = { ports: [7000, 9042], image: 'registry.local/busybox:1', timeoutMs: 1500 };
    const l = listenerPod('ns1', 'r3', s);
    expect(l.metadata).toMatchObject({ name: 'k8ssandra-probe-listener-r3', namespace: 'ns1',
      labels: { 'k8ssandra.io/probe': 'listener', 'k8ssandra.io/probe-run': 'r3', 'app.kubernetes.io/managed-by': 'k8ssandra-cli' } });
    expect(l.spec.containers[0].image).toBe('registry.local/busybox:1');
    expect(l.spec.containers[0].ports).toEqual([{ containerPort: 7000, protocol: 'TCP' }, { containerPort: 9042, protocol: 'TCP' }]);
    expect(l.spec.containers[0].env).toEqual([{ name: 'PROBE_PORTS', value: '7000 9042' }]);
    const [plan] = planConnectors(listeners.slice(0, 2), [7000], 'r3');
    const c = connectorPod('ns1', 'r3', plan!, s);
    expect(c.metadata.labels).toMatchObject({ 'k8ssandra.io/probe': 'connector', 'k8ssandra.io/probe-run': 'r3' });
    expect(c.spec.restartPolicy).toBe('Never');
    expect(c.spec.containers[0].env).toEqual([{ name: 'PROBE_TARGETS', value: '10.21.0.5:7000' }, { name: 'PROBE_TIMEOUT_MS', value: '1500' }, { name: 'PROBE_API_SERVERS', value: '' }]);
    expect(c.spec.containers[0].command.join(' ')).toContain('/dev/termination-log');
  });
});

describe('routability: results', () => {
  const plans = planConnectors(listeners.slice(0, 2), [7000, 9042], 'r');

  it('turns termination messages into pairs, and a missing result into a failure', () => {
    const got = pairsFromReports(plans, new Map<string, any>([
      [plans[0]!.name, { results: [{ target: '10.21.0.5:7000', ok: true, ms: 4 }, { target: '10.21.0.5:9042', ok: false, ms: 2000, error: 'timeout' }] }],
      [plans[1]!.name, { results: [{ target: '10.20.0.5:7000', ok: true }], omitted: 1 }],
    ]));
    expect(got).toEqual([
      { from: 'cp', to: 'dp1', port: 7000, target: '10.21.0.5:7000', ok: true, ms: 4 },
      { from: 'cp', to: 'dp1', port: 9042, target: '10.21.0.5:9042', ok: false, ms: 2000, error: 'timeout' },
      { from: 'dp1', to: 'cp', port: 7000, target: '10.20.0.5:7000', ok: true },
      { from: 'dp1', to: 'cp', port: 9042, target: '10.20.0.5:9042', ok: false, error: 'not reported' },
    ]);
  });

  it('fails every target of a connector that ended without a report', () => {
    const got = pairsFromReports(plans, new Map([[plans[0]!.name, { failed: 'probe failed: the probe image has no nc' }]]));
    expect(got.filter((p) => p.from === 'cp').map((p) => p.error)).toEqual(['probe failed: the probe image has no nc', 'probe failed: the probe image has no nc']);
    expect(got.filter((p) => p.from === 'dp1').every((p) => !p.ok && p.error === 'no result')).toBe(true);
  });

  it('tries quick failures once more, never timeouts, and keeps the second answer', () => {
    const first = pairs((p) => (p.from === 'cp' && p.to === 'dp1' ? 'refused' : p.from === 'dp2' && p.to === 'cp' ? 'timeout' : undefined))
      .map((p) => (p.error === 'refused' ? { ...p, ms: 1 } : p));
    const retry = planRetry(first, 2000, 'r9');
    expect(retry).toEqual([{ from: 'cp', name: 'k8ssandra-probe-connector-r9-retry-0',
      targets: PORTS.map((port) => ({ to: 'dp1', port, target: `10.21.0.5:${port}` })) }]);
    const again = pairsFromReports(retry, new Map([[retry[0]!.name, { results: PORTS.map((port) => ({ target: `10.21.0.5:${port}`, ok: port !== 8080, ms: 2, ...(port === 8080 ? { error: 'refused' } : {}) })) }]]));
    const merged = mergeRetry(first, again);
    expect(merged).toHaveLength(first.length);
    expect(merged.filter((p) => !p.ok).map((p) => `${p.from}->${p.to}:${p.port} ${p.error}`)).toEqual([
      'cp->dp1:8080 refused', ...PORTS.map((port) => `dp2->cp:${port} timeout`)]);
    expect(planRetry(pairs(), 2000, 'r9')).toEqual([]);
  });

  it('reads pod states: ready listeners, finished connectors, stuck pods', () => {
    const running = { status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(listenerIp(running)).toBe('10.0.0.1');
    expect(listenerIp({ status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'False' }] } })).toBeUndefined();
    expect(listenerIp({ status: { phase: 'Pending' } })).toBeUndefined();
    const done = (message: string, phase = 'Succeeded') => ({ status: { phase, containerStatuses: [{ state: { terminated: { exitCode: 0, message } } }] } });
    expect(connectorOutcome(done('{"results":[{"target":"a:1","ok":true,"ms":1}]}'))).toEqual({ results: [{ target: 'a:1', ok: true, ms: 1 }] });
    expect(connectorOutcome(done('the probe image has no nc', 'Failed'))).toEqual({ failed: 'probe failed: the probe image has no nc' });
    expect(connectorOutcome(running)).toBeUndefined();
    const pulling = { status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } } }] } };
    expect(podProblem(pulling, 'listener')).toBe('ImagePullBackOff: Back-off pulling image "x"');
    expect(podProblem({ status: { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 2, message: 'the probe image has no nc' } } }] } }, 'listener'))
      .toBe('exited with code 2: the probe image has no nc');
    expect(podProblem({ status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] } }, 'listener')).toBeUndefined();
    expect(podProblem(done('{"results":[]}'), 'connector')).toBeUndefined();
  });
});

describe('routability: matrix', () => {
  it('is one matrix for all ports when every pair fares the same on each, with the diagonal empty', () => {
    const ms = routabilityMatrices(report(pairs(cut('dp1', 'dp2'))));
    expect(ms).toHaveLength(1);
    const [m] = ms;
    expect(m!.ports).toEqual(PORTS);
    expect(m!.contexts).toEqual(['cp', 'dp1', 'dp2']);
    expect(m!.cells.map((row) => row.map((c) => (c ? (c.ok ? 'ok' : c.errors.join()) : '-')))).toEqual([
      ['-', 'ok', 'ok'], ['ok', '-', 'timeout'], ['ok', 'timeout', '-']]);
    expect(m!.cells[0]![1]).toEqual({ ok: true, ms: 3, errors: [] });
  });

  it('is one matrix per port when the ports differ', () => {
    const ms = routabilityMatrices(report(pairs((p) => (p.port === 9042 && p.to === 'cp' ? 'reset' : undefined))));
    expect(ms.map((m) => m.ports)).toEqual(PORTS.map((p) => [p]));
    expect(ms[2]!.cells[1]![0]).toMatchObject({ ok: false, errors: ['reset'] });
    expect(ms[0]!.cells[1]![0]).toMatchObject({ ok: true });
  });

  it('renders as a table with rows from and columns to', () => {
    const text = renderReport({ schemaVersion: 'k8ssandra.io/report/v1', command: 'check', ok: false, exitCode: 3, dryRun: false, clusters: [],
      registrations: [], checks: [], routability: report(pairs(cut('dp1', 'dp2'))), summary: '', elapsedMs: 1 }, 'text', styler(false));
    const lines = text.split('\n').map((l) => l.trimEnd());
    expect(lines).toContain('Routability, pod IP to pod IP on TCP 7000, 7001, 9042, 8080 (rows: from, columns: to):');
    expect(lines.find((l) => l.startsWith('dp1 '))!.split(/\s{2,}/)).toEqual(['dp1', 'ok 3ms', '-', 'FAIL timeout']);
  });
});

describe('routability: diagnosis and checks', () => {
  it('fails each direction of a cut pair once, with a hint about routes', () => {
    const checks = routabilityChecks(report(pairs(cut('dp1', 'dp2'))), net());
    const fails = checks.filter((c) => c.status === 'fail');
    expect(fails.map((c) => [c.id, c.context, c.message])).toEqual([
      ['ROUTABILITY', 'dp1', 'dp1: cannot reach dp2 (pod IP 10.22.0.5) on TCP 7000, 7001, 9042, 8080 (timeout)'],
      ['ROUTABILITY', 'dp2', 'dp2: cannot reach dp1 (pod IP 10.21.0.5) on TCP 7000, 7001, 9042, 8080 (timeout)'],
    ]);
    expect(fails[0]!.hint).toMatch(/no route from dp1's pods to dp2's pod IPs: put the clusters in one VPC or network, or peer/);
  });

  it('passes once when every pair is routable', () => {
    expect(routabilityChecks(report(pairs()), net())).toEqual([expect.objectContaining({ id: 'ROUTABILITY', status: 'pass',
      message: 'pod IPs are routable between all 3 clusters on TCP 7000, 7001, 9042, 8080' })]);
  });

  it('blames overlapping pod CIDRs first', () => {
    const overlaps = overlappingPodCidrs([
      { context: 'cp', reachable: true, podCidrs: ['10.20.0.0/16'] }, { context: 'dp1', reachable: true, podCidrs: ['10.21.0.0/16'] },
      { context: 'dp2', reachable: true, podCidrs: ['10.22.0.0/16', '10.21.128.0/17'] }]);
    expect(overlaps).toEqual([{ a: 'dp1', cidrA: '10.21.0.0/16', b: 'dp2', cidrB: '10.21.128.0/17' }]);
    expect(diagnosePair('dp2', 'dp1', report(pairs(cut('dp1', 'dp2'))), net({ overlaps })))
      .toMatch(/^the pod CIDRs of dp1 \(10.21.0.0\/16\) and dp2 \(10.21.128.0\/17\) overlap/);
    // A listener IP inside the other cluster's range says the same, even when the nodes' CIDRs did not.
    const cidrs = net().podCidrs.set('dp1', ['10.21.0.0/16', '10.22.0.0/24']);
    expect(diagnosePair('dp1', 'dp2', report(pairs(cut('dp1', 'dp2'))), net({ podCidrs: cidrs })))
      .toMatch(/dp2's pod IP 10.22.0.5 lies inside dp1's pod range 10.22.0.0\/24/);
  });

  it('names a firewall on the port when only some ports fail', () => {
    const r = report(pairs((p) => (p.from === 'cp' && p.to === 'dp1' && p.port === 8080 ? 'timeout' : undefined)));
    expect(diagnosePair('cp', 'dp1', r, net())).toMatch(/^TCP 8080 is blocked from cp to dp1 while 7000, 7001, 9042 pass: a firewall on the port/);
  });

  it('names one-way rules, refusals and resets', () => {
    const oneWay = report(pairs((p) => (p.from === 'cp' && p.to === 'dp2' ? 'timeout' : undefined)));
    expect(diagnosePair('cp', 'dp2', oneWay, net())).toMatch(/^dp2 reaches cp but not the other way round/);
    const refused = report(pairs((p) => ((p.from === 'cp' && p.to === 'dp2') || (p.from === 'dp2' && p.to === 'cp') ? 'refused' : undefined)));
    expect(diagnosePair('cp', 'dp2', refused, net())).toMatch(/^10.22.0.5 refuses connections from cp on every port: .*NAT/);
    const reset = report(pairs((p) => ((p.from === 'cp' && p.to === 'dp2') || (p.from === 'dp2' && p.to === 'cp') ? 'reset' : undefined)));
    expect(diagnosePair('cp', 'dp2', reset, net())).toMatch(/^connections from cp to dp2 are reset: a firewall rejects/);
    const noResult = report(pairs((p) => (p.from === 'cp' ? 'no result' : undefined)));
    expect(diagnosePair('cp', 'dp1', noResult, net())).toMatch(/^the probe in cp gave no result/);
  });

  it('preflight warns about nodes without a pod CIDR and asks for the probe\'s pod permissions', () => {
    const facts = (context: string, podCidrs: string[], nodesWithoutCidr: number): ClusterFacts => ({ context, server: `https://${context}`, reachable: true,
      version: 'v1.34.0', clusterId: context, denied: [], certManager: true, operators: [], podCidrs, nodesWithoutCidr });
    const checks = evaluatePreflight([facts('cp', ['10.20.0.0/16'], 2), facts('dp1', [], 3)],
      { controlPlane: 'cp', namespace: 'ns', operatorVersion: 'v1.32.5', installCertManager: true });
    expect(checks.filter((c) => c.id === 'POD-CIDR-OVERLAP').map((c) => [c.status, c.message])).toEqual([
      ['warn', 'cp: 2 node(s) have no spec.podCIDR, their pod ranges cannot be compared'],
      ['warn', 'dp1: nodes have no spec.podCIDR, pod ranges cannot be compared'],
      ['pass', 'no pod CIDRs overlap']]);
    for (const role of ['control-plane', 'data-plane'] as const) {
      expect(installPermissions(role).filter((p) => p.resource === 'pods').map((p) => `${p.verb} ${p.namespaced}`)).toEqual(['create true', 'delete true']);
    }
  });

  it('warns when a pod IP lies outside the nodes\' pod CIDRs', () => {
    const checks = routabilityChecks(report(pairs()), net({ podCidrs: new Map([['cp', ['192.168.0.0/16']]]) }));
    expect(checks.find((c) => c.status === 'warn')).toMatchObject({ id: 'POD-CIDR-OVERLAP', context: 'cp',
      message: "cp: pod IP 10.20.0.5 is outside the nodes' pod CIDRs (192.168.0.0/16); the overlap check compared incomplete ranges" });
  });
});
