// Pod-IP routability on the bed: `check` and install step 3 probe with real listener and connector pods
// (played by the bed's podnet agent with real sockets), a cut pair is found in both directions, overlapping
// pod CIDRs are reported, Ctrl-C and killed runs leave nothing behind. kubectl is the independent judge.
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cut, heal, podCidr } from '../../testbed/bed.js';
import { apply, bedKubeconfig, createNamespace, deleteNamespace, kubectl, uniqueName, waitFor } from '../helpers/bed.js';
import { certManagerManifests, k8ssandra, operatorManifests, repoRoot } from '../helpers/cli.js';

const CONTEXTS = ['cp', 'dp1', 'dp2'];
const PORTS = [7000, 7001, 9042, 8080];
const FAKE_NODE = 'rt-overlapping-node';
const check = (...extra: string[]) => k8ssandra(['check', '--contexts', CONTEXTS.join(','), ...extra]);

/** Probe pods in any namespace of any cluster, as kubectl sees them. */
async function probePods(): Promise<string[]> {
  const found = await Promise.all(CONTEXTS.map((c) => kubectl(c, 'get', 'pods', '-A', '-l', 'k8ssandra.io/probe', '-o', 'name')));
  return found.flatMap((out, i) => out.split('\n').filter(Boolean).map((p) => `${CONTEXTS[i]}/${p}`));
}

/** The namespace is gone, or on its way out (the namespace controller takes a few seconds). */
async function namespaceGone(context: string, ns: string): Promise<boolean> {
  const phase = await kubectl(context, 'get', 'namespace', ns, '--ignore-not-found', '-o', 'jsonpath={.status.phase}');
  return phase === '' || phase === 'Terminating';
}

const install = (namespace: string, ...extra: string[]) => k8ssandra(['install', '--contexts', CONTEXTS.join(','), '--namespace', namespace,
  '--manifests', operatorManifests, '--cert-manager-manifests', certManagerManifests, '--yes', '-o', 'json', ...extra]);

/**
 * Preflight refuses an operator in a second namespace: take away the operator Deployments an earlier
 * test may have installed, so that only routability decides whether these installs go on.
 */
async function removeOperatorDeployments(): Promise<void> {
  await Promise.all(CONTEXTS.map((c) => kubectl(c, 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator', '--ignore-not-found')));
}

const failingPairs = (report: any) => report.routability.pairs.filter((p: any) => !p.ok).map((p: any) => `${p.from}->${p.to}:${p.port}`).sort();

// Each test runs the CLI two or three times, an install among them: minutes on a loaded machine.
describe('routability between the bed\'s clusters', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    heal();
    await removeOperatorDeployments(); // an earlier file's install in the default namespace would fail preflight here
  });
  afterEach(async () => {
    heal();
    expect(await probePods()).toEqual([]);
    await removeOperatorDeployments(); // an install of one test must not fail the next one's preflight
  });
  afterAll(async () => {
    heal();
    await Promise.all(CONTEXTS.map((c) => kubectl(c, 'delete', 'node', FAKE_NODE, '--ignore-not-found')));
  });

  it('all pairs reachable: a green matrix, every pair and port in JSON, exit 0, nothing left behind', async () => {
    const ns = uniqueName('rt-check');
    const r = await check('--namespace', ns, '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report).toMatchObject({ command: 'check', ok: true, exitCode: 0 });
    expect(report.routability).toMatchObject({ namespace: ns, ports: PORTS, probeImage: 'docker.io/library/busybox:1.37' });
    expect(report.routability.listeners.map((l: any) => l.context)).toEqual(CONTEXTS);
    // 3 clusters: 6 ordered pairs x 4 ports, each with its latency.
    expect(report.routability.pairs).toHaveLength(24);
    for (const p of report.routability.pairs) {
      expect(p.ok, `${p.from}->${p.to}:${p.port} ${p.error}`).toBe(true);
      expect(typeof p.ms).toBe('number');
      expect(p.target).toBe(`${report.routability.listeners.find((l: any) => l.context === p.to).podIP}:${p.port}`);
    }
    expect(report.checks.filter((c: any) => c.id === 'ROUTABILITY')).toEqual([expect.objectContaining({ status: 'pass' })]);
    // The namespace was missing: created by the run (for its lock and the probe) and deleted again, as it held nothing else.
    for (const c of CONTEXTS) expect(await namespaceGone(c, ns), c).toBe(true);
    for (const c of CONTEXTS) expect(r.stderr).toMatch(new RegExp(`${c}: namespace ${ns} created by this run, deleted again \\(it held nothing else\\)`));

    const text = await check();
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain('Routability, pod IP to pod IP on TCP 7000, 7001, 9042, 8080 (rows: from, columns: to):');
    const rows = text.stdout.split('\n').filter((l) => /^(cp|dp1|dp2)\s/.test(l));
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.split(/\s{2,}/).filter(Boolean).slice(1).map((c) => c.replace(/ \d+ms$/, ''))).toEqual(
      CONTEXTS.map((c) => (row.startsWith(c + ' ') ? '-' : 'ok')));
    expect(text.stdout).not.toMatch(/FAIL/);
  });

  it('with dp1 and dp2 cut: exactly that pair, in both directions, is unreachable; check exits 3', async () => {
    cut('dp1', 'dp2');
    const r = await check('-o', 'json', '--probe-timeout', '1s');
    expect(r.exitCode, r.stderr).toBe(3);
    const report = r.json();
    expect(failingPairs(report)).toEqual(PORTS.flatMap((p) => [`dp1->dp2:${p}`, `dp2->dp1:${p}`]).sort());
    expect(report.routability.pairs.filter((p: any) => !p.ok).every((p: any) => p.error === 'timeout')).toBe(true);
    const fails = report.checks.filter((c: any) => c.status === 'fail');
    expect(fails.map((c: any) => [c.id, c.context])).toEqual([['ROUTABILITY', 'dp1'], ['ROUTABILITY', 'dp2']]);
    const dp2Net = podCidr('dp2').replace(/\.0\/24$/, '').replace(/\./g, '\\.');
    expect(fails[0].message).toMatch(new RegExp(`^dp1: cannot reach dp2 \\(pod IP ${dp2Net}\\.\\d+\\) on TCP 7000, 7001, 9042, 8080 \\(timeout\\)$`));
    expect(fails[0].hint).toMatch(/no route from dp1's pods to dp2's pod IPs/);

    const text = await check('--probe-timeout', '1s');
    expect(text.exitCode).toBe(3);
    expect(text.stdout.match(/FAIL timeout/g)).toHaveLength(2);
    expect(text.stdout).toMatch(/^dp1\s+ok \d+ms\s+-\s+FAIL timeout\s*$/m);
    expect(text.stdout).toMatch(/^dp2\s+ok \d+ms\s+FAIL timeout\s+-\s*$/m);
    expect(text.stdout).toMatch(/FAIL \[ROUTABILITY\] dp2: cannot reach dp1/);
  });

  it('with dp1 and dp2 cut, install stops with exit 3 before installing anything', async () => {
    await removeOperatorDeployments();
    cut('dp1', 'dp2');
    const ns = uniqueName('rt-install');
    const r = await install(ns, '--probe-timeout', '1s');
    expect(r.exitCode, r.stdout + r.stderr).toBe(3);
    const report = r.json();
    expect(report.error.message).toMatch(/^2 pair\(s\) of clusters cannot reach each other's pod IPs \(dp1: cannot reach dp2 .*\); nothing was installed$/);
    expect(report.error.hint).toMatch(/to install anyway, pass --skip-routability$/);
    expect(report.checks.filter((c: any) => c.status === 'fail').map((c: any) => c.id)).toEqual(['ROUTABILITY', 'ROUTABILITY']);
    expect(failingPairs(report)).toEqual(PORTS.flatMap((p) => [`dp1->dp2:${p}`, `dp2->dp1:${p}`]).sort());
    expect(r.stderr).not.toMatch(/Install the operator/);
    for (const c of CONTEXTS) {
      expect(await kubectl(c, 'get', 'deployments', '-n', ns, '-o', 'name'), c).toBe('');
      expect(await namespaceGone(c, ns), c).toBe(true);
    }
  });

  it('with every pair reachable, install probes and goes on, keeping the namespace it created', async () => {
    await removeOperatorDeployments();
    const ns = uniqueName('rt-install-ok');
    try {
      const r = await install(ns, '--no-wait');
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const report = r.json();
      expect(report.routability.pairs).toHaveLength(24);
      expect(failingPairs(report)).toEqual([]);
      expect(report.checks.find((c: any) => c.id === 'ROUTABILITY')).toMatchObject({ status: 'pass' });
      expect(r.stderr).not.toMatch(/deleted again/);
      for (const c of CONTEXTS) {
        expect(await kubectl(c, 'get', 'deployment', 'k8ssandra-operator', '-n', ns, '-o', 'name'), c).toBe('deployment.apps/k8ssandra-operator');
        expect(await kubectl(c, 'get', 'namespace', ns, '-o', 'jsonpath={.status.phase}'), c).toBe('Active');
      }
    } finally {
      await Promise.all(CONTEXTS.map((c) => deleteNamespace(c, ns)));
    }
  });

  it('reports overlapping pod CIDRs (a dp2 node with a range inside cp\'s)', async () => {
    // kwok manages every node: keep pods off this one, it exists only for its spec.podCIDR.
    const cpCidr = podCidr('cp');
    const inside = cpCidr.replace(/\/24$/, '/25');
    await apply('dp2', { apiVersion: 'v1', kind: 'Node', metadata: { name: FAKE_NODE, labels: { 'k8ssandra.io/test': 'routability' } },
      spec: { podCIDR: inside, podCIDRs: [inside], unschedulable: true,
        taints: [{ key: 'k8ssandra.io/test', value: 'overlap', effect: 'NoSchedule' }] } });
    try {
      const r = await check('-o', 'json');
      expect(r.exitCode, r.stderr).toBe(3);
      const overlap = r.json().checks.filter((c: any) => c.id === 'POD-CIDR-OVERLAP');
      expect(overlap).toEqual([expect.objectContaining({ status: 'fail', context: 'dp2', message: `pod CIDRs overlap: cp ${cpCidr} and dp2 ${inside}` })]);
      // The pod IPs themselves are still routable: the probe says so, the CIDR check says why it may not stay so.
      expect(failingPairs(r.json())).toEqual([]);
    } finally {
      await kubectl('dp2', 'delete', 'node', FAKE_NODE, '--ignore-not-found');
    }
  });

  it('Ctrl-C while probing deletes the probes and exits 130', async () => {
    cut('dp1', 'dp2'); // the cut pair's connectors take the whole probe timeout: time to interrupt
    const child = execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), '--kubeconfig', bedKubeconfig(), 'check', '--contexts', CONTEXTS.join(','),
      '--probe-timeout', '20s'], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore', timeout: 120_000 });
    await waitFor('a connector probe pod', async () => ((await probePods()).some((p) => p.includes('connector')) ? true : undefined), 90_000);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stdout).toMatch(/^error: interrupted \(SIGINT\): stopped cleanly$/m);
    expect(r.stderr).toMatch(/interrupted: deleting the probe pods/);
    expect(await probePods()).toEqual([]);
  });

  it('a later run first deletes the probe pods a killed run left behind', async () => {
    const ns = uniqueName('rt-leftover');
    await createNamespace('dp1', ns);
    try {
      await apply('dp1', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'k8ssandra-probe-listener-dead0001', namespace: ns,
        labels: { 'k8ssandra.io/probe': 'listener', 'k8ssandra.io/probe-run': 'dead0001', 'app.kubernetes.io/managed-by': 'k8ssandra-cli' } },
      spec: { containers: [{ name: 'probe', image: 'busybox', ports: [{ containerPort: 7000 }] }] } });
      const r = await check('--namespace', ns, '-o', 'json');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/dp1: deleted 1 probe pod\(s\) an earlier run left behind/);
      expect(await kubectl('dp1', 'get', 'pods', '-n', ns, '-o', 'name')).toBe('');
      // The namespace was there before: it stays.
      expect(await kubectl('dp1', 'get', 'namespace', ns, '-o', 'jsonpath={.status.phase}')).toBe('Active');
    } finally {
      await deleteNamespace('dp1', ns);
    }
  });
});

describe('bad probe flags', () => {
  it('a port that is not a port: exit 2, one line and a hint', async () => {
    const r = await check('--ports', '7000,70000');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: --ports 7000,70000 is not a list of TCP ports$/m);
    expect(r.stderr).toMatch(/^hint: e\.g\. --ports 7000,7001,9042,8080$/m);
  });
});
