// Upgrades from v1.29.1 to v1.32.5 cut short in the data planes' stage (SIGKILL at each stage is in
// upgrade.test.ts): by Ctrl-C typed on a terminal, and by dp2's API server going away. Each stops with its
// documented exit code and one line saying why, leaves the control plane running, lets status tell the
// half-done upgrade from version skew, and converges on a re-run (plain, or the same command once dp2 is
// back): v1.32.5 everywhere, the ConfigMap v1.29.1 had gone, no upgrade mark left, the registration Secrets
// not rewritten, status healthy. dp2 sits behind a fault proxy (test/helpers/fault-proxy.ts) that holds or
// drops it on cue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlJson } from '../helpers/bed.js';
import { k8ssandra, startK8ssandraOnTerminal } from '../helpers/cli.js';
import { FaultProxy, writeKubeconfig } from '../helpers/fault-proxy.js';
import { CONTEXTS, expectAt, has, installRecord, installV1291, NS, operatorImages, runsOperator, secretVersions, V1291, V1325 } from '../helpers/upgrade.js';

let proxy: FaultProxy;
let proxied: string; // the bed's kubeconfig with dp2 behind the proxy

const upgrade = (args: string[], opts: { kubeconfig?: string } = {}) =>
  k8ssandra(['upgrade', '--contexts', CONTEXTS.join(','), '--yes', '-o', 'json', ...args], opts);
const status = () => k8ssandra(['status', '--contexts', CONTEXTS.join(','), '-o', 'json']);

/** dp2's operator Deployment: its server-side apply (PATCH ...?fieldManager=...) and the wait's reads of it. */
const DEPLOYMENT_APPLY = /\/deployments\/k8ssandra-operator\?/;
const DEPLOYMENT_READ = /\/deployments\/k8ssandra-operator$/;

/** Status of a half-done upgrade: an upgrade under way (a warning), not version skew (a failure). */
async function expectUpgradeUnderWay() {
  const s = await status();
  const skew = s.json().checks.filter((c: any) => c.id === 'STATUS-VERSION-SKEW');
  expect(skew.filter((c: any) => c.status === 'fail'), JSON.stringify(skew)).toEqual([]);
  expect(skew.filter((c: any) => /^upgrading from/.test(c.message)), JSON.stringify(skew)).toMatchObject([{
    status: 'warn', message: expect.stringMatching(/^upgrading from v1\.29\.1 to v1\.32\.5: /) }]);
}

/**
 * A re-run finishes the upgrade; the registrations are as they were (verified, not rewritten), also when
 * the kubeconfig reaches a data plane at another address than the one its registration names.
 */
async function expectReRunConverges(secretsBefore: Record<string, string>, kubeconfig?: string) {
  const again = await upgrade(['--manifests', V1325], { kubeconfig });
  expect(again.exitCode, again.stderr + again.stdout).toBe(0);
  expect(again.json().summary).toMatch(/^upgraded .* to v1\.32\.5/);
  expect(again.json().registrations.map((g: any) => [g.context, g.verified, g.action])).toEqual([['dp1', true, 'unchanged'], ['dp2', true, 'unchanged']]);
  await expectAt('v1.32.5');
  expect(await secretVersions()).toEqual(secretsBefore);
  const s = await status();
  expect(s.exitCode, s.stdout).toBe(0);
}

describe('an upgrade interrupted by Ctrl-C or by an API server going away converges on a re-run', { timeout: 900_000 }, () => {
  beforeAll(async () => {
    await installV1291();
    proxy = await FaultProxy.start('dp2');
    proxied = writeKubeconfig({ proxies: { dp2: proxy } });
  });
  afterAll(async () => { await proxy?.close(); });

  it('Ctrl-C in the data planes\' stage: exit 130 and one line; status says an upgrade is under way; a re-run converges', async () => {
    const secrets = await secretVersions();
    proxy.reset();
    // Once dp2's new Deployment is applied, its wait cannot end: the Ctrl-C comes while the stage runs.
    const applied = proxy.next('PATCH', DEPLOYMENT_APPLY).then(() => {
      const reads = proxy.requests('GET', DEPLOYMENT_READ).length;
      proxy.add({ method: 'GET', path: DEPLOYMENT_READ, fault: { stall: true } });
      return proxy.next('GET', DEPLOYMENT_READ, { count: reads + 1 });
    });
    const p = startK8ssandraOnTerminal(['upgrade', '--contexts', CONTEXTS.join(','), '--manifests', V1325, '--yes'], { kubeconfig: proxied });
    await p.waitForOutput(/Upgrade the data planes/);
    await applied;
    p.type('\x03');
    const r = await p.result;
    expect(r.exitCode, r.output).toBe(130);
    expect(r.output).toMatch(/(✖|FAIL) Upgrade the data planes/);
    expect(r.output.match(/interrupted \(SIGINT\)/g), r.output).toHaveLength(1);
    expect(r.output).toMatch(/error: interrupted \(SIGINT\): stopped cleanly\s+hint: run the same command again/);
    expect(r.output).not.toMatch(/\n\s+at /);
    // Stopped in the middle: the data planes run v1.32.5, the control plane still v1.29.1, marked as going to v1.32.5.
    expect(runsOperator(await operatorImages('dp2'), 'v1.32.5')).toBe(true);
    expect(runsOperator(await operatorImages('cp'), 'v1.29.1')).toBe(true);
    expect(await installRecord('cp')).toMatchObject({ operatorVersion: 'v1.29.1', upgradingTo: 'v1.32.5' });
    await expectUpgradeUnderWay();
    // A plain re-run: the bed's own kubeconfig.
    await expectReRunConverges(secrets);
  });

  it('dp2\'s API server gone in the data planes\' stage: exit 6 naming dp2, every cluster\'s outcome, cp untouched; a re-run converges', async () => {
    // Back to v1.29.1 (--force: a downgrade on purpose), so that the upgrade has something to do.
    const down = await upgrade(['--manifests', V1291, '--force']);
    expect(down.exitCode, down.stderr + down.stdout).toBe(0);
    await expectAt('v1.29.1');
    const secrets = await secretVersions();
    proxy.reset();
    // Gone at the apply of its new Deployment: that request is never answered, every later one refused.
    proxy.add({ method: 'PATCH', path: DEPLOYMENT_APPLY, fault: { stall: true } });
    const gone = proxy.next('PATCH', DEPLOYMENT_APPLY).then(() => proxy.down());
    try {
      const r = await upgrade(['--manifests', V1325], { kubeconfig: proxied });
      await gone;
      expect(r.exitCode, r.stderr).toBe(6);
      const report = r.json();
      expect(report.error).toMatchObject({ exit: 'unreachable', message: expect.stringMatching(/\(context dp2\): connection refused/) });
      expect(report.error.message.split('\n')).toHaveLength(1);
      expect(report.error.hint).toBeTruthy();
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // Every cluster's outcome: dp2 failed in the data planes' stage; dp1 finished it; cp was stopped before its own.
      const byContext = Object.fromEntries(report.clusters.map((c: any) => [c.context, c]));
      expect(Object.keys(byContext).sort()).toEqual(CONTEXTS);
      expect(byContext.dp2).toMatchObject({ outcome: 'failed', ready: false, problem: expect.stringMatching(/^data-planes: .*connection refused/) });
      expect(byContext.dp1).toMatchObject({ outcome: 'stopped', ready: true, operatorVersion: 'v1.32.5' });
      expect(byContext.cp).toMatchObject({ outcome: 'stopped', ready: false, operatorVersion: 'v1.29.1' });
      expect(byContext.cp.problem).toBeUndefined();
    } finally {
      // Back, answering everything again.
      proxy.reset();
      await proxy.up();
    }
    // Nothing half-broken in cp: its v1.29.1 operator is whole and available, marked as going to v1.32.5, its registrations intact.
    const cp = await kubectlJson('cp', '-n', NS, 'get', 'deployment', 'k8ssandra-operator');
    expect(cp.status.availableReplicas, JSON.stringify(cp.status)).toBe(1);
    expect(runsOperator(await operatorImages('cp'), 'v1.29.1')).toBe(true);
    expect(await has('cp', 'configmap', 'cass-operator-manager-config')).toBe(true);
    expect(await installRecord('cp')).toMatchObject({ operatorVersion: 'v1.29.1', upgradingTo: 'v1.32.5' });
    expect((await kubectl('cp', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).split('\n').filter(Boolean).sort())
      .toEqual(['clientconfig.config.k8ssandra.io/dp1', 'clientconfig.config.k8ssandra.io/dp2']);
    // dp1 got there (its record says so), dp2's operator never changed.
    expect(await installRecord('dp1')).toMatchObject({ operatorVersion: 'v1.32.5' });
    expect((await installRecord('dp1')).upgradingTo).toBeUndefined();
    expect(runsOperator(await operatorImages('dp2'), 'v1.29.1')).toBe(true);
    await expectUpgradeUnderWay();
    // The same command again, dp2's API server back (reached through the proxy, not at its registered address).
    await expectReRunConverges(secrets, proxied);
  });
});
