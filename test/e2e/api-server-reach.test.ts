// The control plane's reach to each data plane's API server, on the bed: `check` dials every data
// plane's API server from a connector pod in cp (played by the podnet agent with real TCP and TLS),
// `testbed cut cp dp2` also cuts cp's pods from dp2's API server, and `heal` restores it.
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadContexts } from '../../testbed/kube.js';
import { bedKubeconfig, deleteNamespace, kubectl, uniqueName } from '../helpers/bed.js';
import { certManagerManifests, k8ssandra, operatorManifests, repoRoot } from '../helpers/cli.js';

const CONTEXTS = ['cp', 'dp1', 'dp2'];
const check = (...extra: string[]) => k8ssandra(['check', '--contexts', CONTEXTS.join(','), '-o', 'json', ...extra]);
/** The bed's own command line, as a person runs it. */
const testbed = async (...args: string[]) => {
  const r = await execa('npx', ['tsx', 'testbed/cli.ts', ...args], { cwd: repoRoot, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
};
const origin = (url: string) => new URL(url).origin;
const servers = () => new Map(loadContexts(bedKubeconfig()).map((c) => [c.name, origin(c.server)]));
const used = (report: any) => Object.fromEntries(report.routability.apiServers.filter((a: any) => a.used).map((a: any) => [a.to, a]));

async function removeOperatorDeployments(): Promise<void> {
  await Promise.all(CONTEXTS.map((c) => kubectl(c, 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator', '--ignore-not-found')));
}

describe('API servers from the control plane\'s pods', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    await testbed('heal');
    await removeOperatorDeployments(); // an earlier file's install would fail check's preflight in another namespace
  });
  afterEach(async () => {
    await testbed('heal');
    await removeOperatorDeployments(); // an install here must not fail the next check's preflight
  });
  afterAll(async () => testbed('heal'));

  it('check: cp reaches dp1\'s and dp2\'s API servers; the loopback kubeconfig address is kept after the other candidates fail', async () => {
    const r = await check('--namespace', uniqueName('api-reach'));
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json<any>();
    const s = servers();
    const u = used(report);
    expect(Object.keys(u).sort()).toEqual(['dp1', 'dp2']);
    for (const dp of ['dp1', 'dp2']) {
      expect(u[dp]).toMatchObject({ from: 'cp', to: dp, address: s.get(dp), source: 'kubeconfig', ok: true });
      expect(u[dp].latencyMs).toBeGreaterThanOrEqual(0);
    }
    // Every other address tried came first in the list and failed (the bed never dials off loopback).
    expect(report.routability.apiServers.filter((a: any) => !a.used).every((a: any) => !a.ok && a.source !== 'kubeconfig')).toBe(true);
    expect(report.checks.filter((c: any) => c.id === 'API-SERVER-REACHABLE').map((c: any) => [c.context, c.status])).toEqual([['dp1', 'pass'], ['dp2', 'pass']]);
  });

  it('testbed cut cp dp2: the check fails naming dp2\'s API server, exit 3; heal restores it', async () => {
    await testbed('cut', 'cp', 'dp2');
    const r = await check('--namespace', uniqueName('api-reach'));
    expect(r.exitCode, r.stderr).toBe(3);
    const report = r.json<any>();
    const dp2 = servers().get('dp2')!;
    const failed = report.checks.filter((c: any) => c.id === 'API-SERVER-REACHABLE' && c.status === 'fail');
    expect(failed.map((c: any) => c.context)).toEqual(['dp2']);
    expect(failed[0].message).toContain(`${dp2} (timeout)`);
    expect(failed[0].hint).toContain('--api-server dp2=');
    expect(report.routability.apiServers.find((a: any) => a.to === 'dp2' && a.address === dp2)).toMatchObject({ ok: false, error: 'timeout' });
    expect(used(report).dp1).toMatchObject({ ok: true });

    await testbed('heal', 'cp', 'dp2');
    const healed = await check('--namespace', uniqueName('api-reach'));
    expect(healed.exitCode, healed.stderr).toBe(0);
    expect(used(healed.json<any>()).dp2).toMatchObject({ address: dp2, ok: true });
  });

  it('check --api-server: the given address is the only one dialled, and a wrong one fails with exit 3', async () => {
    const dp1 = servers().get('dp1')!;
    const good = await check('--namespace', uniqueName('api-reach'), '--api-server', `dp1=${dp1}`);
    expect(good.exitCode, good.stderr).toBe(0);
    expect(good.json<any>().routability.apiServers.filter((a: any) => a.to === 'dp1')).toEqual([expect.objectContaining({ address: dp1, source: 'api-server flag', ok: true, used: true })]);
    // A loopback port where nothing listens (the bed's ports are 20000-31999).
    const bad = await check('--namespace', uniqueName('api-reach'), '--api-server', 'dp1=https://127.0.0.1:19999');
    expect(bad.exitCode, bad.stderr).toBe(3);
    expect(bad.json<any>().checks.find((c: any) => c.id === 'API-SERVER-REACHABLE' && c.status === 'fail'))
      .toMatchObject({ context: 'dp1', message: 'dp1: pods in cp cannot reach its API server at https://127.0.0.1:19999 (refused)' });
  });

  it('install registers the address the control plane\'s pods reached, and says so', async () => {
    const ns = uniqueName('api-install');
    try {
      const r = await k8ssandra(['install', '--contexts', CONTEXTS.join(','), '--namespace', ns, '--manifests', operatorManifests,
        '--cert-manager-manifests', certManagerManifests, '--yes', '--no-wait', '-o', 'json']);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const report = r.json<any>();
      const s = servers();
      expect(Object.fromEntries(report.registrations.map((g: any) => [g.context, g.server]))).toEqual({ dp1: s.get('dp1'), dp2: s.get('dp2') });
      expect(report.checks.filter((c: any) => c.id === 'REGISTER-SERVER-ADDRESS').map((c: any) => [c.context, c.status, c.message])).toEqual([
        ['dp1', 'pass', `dp1: API server address ${s.get('dp1')}, reached from a pod of the control plane`],
        ['dp2', 'pass', `dp2: API server address ${s.get('dp2')}, reached from a pod of the control plane`]]);
      // The stored kubeconfig holds the same address (kubectl as the independent judge).
      for (const g of report.registrations) {
        const b64 = await kubectl('cp', 'get', 'secret', g.secret, '-n', ns, '-o', 'jsonpath={.data.kubeconfig}');
        expect(Buffer.from(b64, 'base64').toString('utf8')).toContain(`server: ${s.get(g.context)}`);
      }
    } finally {
      await Promise.all(CONTEXTS.map((c) => deleteNamespace(c, ns)));
    }
  });
});
