// Two runs at once (two CI jobs, or check beside an install), as two real processes against the bed: each
// pair ends with the installation intact and status healthy after one plain re-run. The lock (a Lease per
// cluster) and the delete rule (a namespace goes only if this run made it and it holds nothing else) are
// what make that true; kubectl is the judge. Rules alone: test/unit/run-lock.test.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, kubectl, kubectlJson, uniqueName, waitFor } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, startK8ssandra, type CliRun } from '../helpers/cli.js';
import { FaultProxy, writeKubeconfig } from '../helpers/fault-proxy.js';
import { removeInstall } from '../helpers/uninstalled.js';

const NS = 'k8ssandra-operator';
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const ALL = CONTEXTS.join(',');
const LOCK = 'k8ssandra-cli-lock';
const KC = uniqueName('concurrent');
const STORAGE = { cassandraDataVolumeClaimSpec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } };

const installArgs = (...extra: string[]) => ['install', '--contexts', ALL, ...bedInstallFlags, ...extra];
/** A run that waited for another one's lock says so, naming that run. */
const WAITED = /waiting for the run of \S+@\S+ \((install|check|uninstall|register|add-dc|upgrade), pid \d+, started \d\d:\d\d:\d\d UTC\) to finish/;

/**
 * Two runs, the second started 0.3 s after the first, as two CI jobs would be. `slowFirst`: the first one's
 * requests to cp that match go through a proxy that holds each for 3 s, so that it is still at work (and
 * holds the lock) when the second one comes: commands that take well under a second on the bed.
 */
async function twoAtOnce(first: string[], second: string[], slowFirst?: { method: string; path: RegExp }): Promise<[CliRun, CliRun]> {
  const proxy = slowFirst ? await FaultProxy.start('cp') : undefined;
  try {
    proxy?.add({ ...slowFirst!, fault: { delayMs: 3000 }, times: 1 });
    const a = startK8ssandra(first, proxy ? { kubeconfig: writeKubeconfig({ proxies: { cp: proxy } }) } : {});
    // Slowed down, the first one holds the lock (its reads before it take a time that varies with the load).
    if (slowFirst) await a.waitForStderr(/ok Take the lock of every cluster/);
    await sleep(300);
    const b = startK8ssandra(second);
    return await Promise.all([a.result, b.result]);
  } finally {
    await proxy?.close();
  }
}

/** After the pair: one plain re-run converges, status is healthy, and kubectl sees the whole installation. */
async function intactAfterReRun() {
  const again = await k8ssandra(installArgs());
  expect(again.exitCode, again.stderr).toBe(0);
  const status = await k8ssandra(['status', '--contexts', ALL, '-o', 'json']);
  expect(status.exitCode, status.stdout + status.stderr).toBe(0);
  for (const c of CONTEXTS) {
    expect(await kubectl(c, 'get', 'namespace', NS, '-o', 'jsonpath={.status.phase}'), c).toBe('Active');
    expect(await kubectl(c, '-n', NS, 'get', 'deployment', 'k8ssandra-operator', '-o', 'name'), c).toBe('deployment.apps/k8ssandra-operator');
    expect(await kubectl(c, '-n', NS, 'get', 'lease', LOCK, '--ignore-not-found', '-o', 'name'), `${c}: the lock was given back`).toBe('');
  }
  expect((await kubectl('cp', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).split('\n').sort())
    .toEqual(['clientconfig.config.k8ssandra.io/dp1', 'clientconfig.config.k8ssandra.io/dp2']);
}

/** Nothing installed in any cluster, and no operator left in another namespace (a second one would be refused). */
async function fresh() {
  await Promise.all(CONTEXTS.map((c) => kubectl(c, 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator', '--ignore-not-found', '--wait=true')));
  await Promise.all(CONTEXTS.map((c) => removeInstall(c)));
}

/** A Lease held by someone else, renewed every 2 s (a live run on another machine) until stopped. */
function liveLockOf(context: string, holder: { user: string; host: string; pid: number; command: string }) {
  const id = `${holder.user}@${holder.host}/${holder.pid}/feedbeef`;
  const micro = () => new Date().toISOString().replace(/Z$/, '000Z');
  const lease = () => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LOCK, namespace: NS,
    annotations: { 'k8ssandra.io/lock-holder': JSON.stringify({ id, ...holder, startedAt: new Date(Date.now() - 60_000).toISOString() }) } },
  spec: { holderIdentity: id, leaseDurationSeconds: 15, acquireTime: micro(), renewTime: micro() } });
  let stopped = false;
  const renewing = (async () => {
    while (!stopped) {
      await kubectl(context, '-n', NS, 'patch', 'lease', LOCK, '--type=merge', '-p', JSON.stringify({ spec: { renewTime: micro() } })).catch(() => undefined);
      await sleep(2000);
    }
  })();
  return {
    start: () => apply(context, lease()),
    stop: async () => { stopped = true; await renewing; await kubectl(context, '-n', NS, 'delete', 'lease', LOCK, '--ignore-not-found'); },
  };
}

describe('two runs at once never destroy anything', { timeout: 900_000 }, () => {
  beforeAll(fresh, 600_000);
  afterAll(async () => {
    await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', KC, '--ignore-not-found').catch(() => '');
  });

  it('install + install into fresh clusters: the second waits for the first, both succeed, nothing is deleted', async () => {
    const [a, b] = await twoAtOnce(installArgs('-o', 'json'), installArgs('-o', 'json'));
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stderr, 'the second run waited for the first').toMatch(WAITED);
    expect(a.stderr + b.stderr).not.toMatch(/deleted again/);
    await intactAfterReRun();
  });

  it('check + install into fresh clusters: neither deletes what the other uses; a namespace check made is gone only if it held nothing else', async () => {
    await fresh();
    const [c, i] = await twoAtOnce(['check', '--contexts', ALL, '--probe-timeout', '1s', '-o', 'json'], installArgs('-o', 'json'));
    expect(c.exitCode, c.stderr).toBe(0);
    expect(i.exitCode, i.stderr).toBe(0);
    expect(c.stderr + i.stderr, 'one of them waited for the other').toMatch(WAITED);
    // Check made the namespace only if it got the locks first; then it deleted it before install went on.
    if (/created by this run, deleted again/.test(c.stderr)) expect(i.stderr).toMatch(/namespace k8ssandra-operator is being deleted; waiting until it is gone|waiting for the run/);
    await intactAfterReRun();
  });

  it('install + uninstall: one after the other, never interleaved; a plain re-run brings the installation back', async () => {
    // The uninstall's first delete in cp takes 3 s: the install comes while it holds the lock.
    const [u, i] = await twoAtOnce(['uninstall', '--contexts', ALL, '--yes', '-o', 'json'], installArgs('-o', 'json'), { method: 'DELETE', path: /./ });
    expect(u.exitCode, u.stderr).toBe(0);
    expect(i.exitCode, i.stderr).toBe(0);
    expect(i.stderr, 'the install waited for the uninstall').toMatch(WAITED);
    await intactAfterReRun();
  });

  it('register --rotate + register --rotate: one batch after the other; every stored credential works', async () => {
    const secretRv = async () => Promise.all(['dp1', 'dp2'].map(async (dp) => (await kubectlJson('cp', '-n', NS, 'get', 'secret', `${dp}-kubeconfig`)).metadata.resourceVersion));
    const before = await secretRv();
    // The first run's write of the first Secret in cp takes 3 s: the second run comes while it holds the lock.
    const rotate = ['register', '--contexts', ALL, '--rotate', '-o', 'json'];
    const [a, b] = await twoAtOnce(rotate, rotate, { method: 'PATCH', path: /\/secrets\/dp\d-kubeconfig/ });
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stderr, 'the second run waited for the first').toMatch(WAITED);
    // The second batch is written after the first one is complete: each run wrote all its Secrets, then its ClientConfigs, alone.
    const after = await secretRv();
    for (const [i, rv] of after.entries()) expect(rv, `Secret of dp${i + 1} rotated`).not.toBe(before[i]);
    for (const r of [a, b]) expect(r.json().registrations.map((g: any) => [g.context, g.verified])).toEqual([['dp1', true], ['dp2', true]]);
    await intactAfterReRun();
  });

  it('add-dc + add-dc of the same datacenter: it is added once; the second run finds it there', async () => {
    await apply('cp', { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: KC, namespace: NS },
      spec: { cassandra: { serverVersion: '4.1.5', storageConfig: STORAGE, datacenters: [{ metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 1 }] } } });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ready = { cassandra: { cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: now }] } };
    await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p',
      JSON.stringify({ status: { error: 'None', conditions: [{ type: 'CassandraInitialized', status: 'True', lastTransitionTime: now }], datacenters: { dc1: ready } } }));
    const addDc = ['add-dc', '--cluster', KC, '--dc', 'dc2', '--context', 'dp2', '--size', '1', '--control-plane', 'cp', '--no-wait', ...bedInstallFlags, '-o', 'json'];
    try {
      // The first run's patch (not its dry run) takes 3 s: the second one reads the cluster before, then waits for the lock.
      const [a, b] = await twoAtOnce(addDc, addDc, { method: 'PATCH', path: /\/k8ssandraclusters\/[^?]+\?fieldManager=k8ssandra-cli$/ });
      expect(a.exitCode, a.stderr).toBe(0);
      expect(b.exitCode, b.stderr).toBe(0);
      expect(b.stderr, 'the second run waited for the first').toMatch(WAITED);
      expect([a.json().datacenter.action, b.json().datacenter.action]).toEqual(['created', 'unchanged']);
      const dcs = (await kubectlJson('cp', '-n', NS, 'get', 'k8ssandracluster', KC)).spec.cassandra.datacenters.map((d: any) => d.metadata.name);
      expect(dcs).toEqual(['dc1', 'dc2']);
    } finally {
      // No operator on the bed makes the datacenters Ready: the cluster goes, so that status is healthy again.
      await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', KC);
    }
  });

  it('a holder killed with SIGKILL: its lock expires and the next run takes it over, saying from whom, and converges', async () => {
    const killed = startK8ssandra(installArgs('--rotate-tokens'));
    await killed.waitForStderr(/ok Take the lock of every cluster/);
    killed.kill('SIGKILL');
    expect((await killed.result).signal).toBe('SIGKILL');
    const leases = await Promise.all(CONTEXTS.map((c) => kubectl(c, '-n', NS, 'get', 'lease', LOCK, '-o', 'jsonpath={.spec.holderIdentity}')));
    for (const l of leases) expect(l).toMatch(new RegExp(`/${killed.pid}/`));
    const next = await k8ssandra(installArgs('-o', 'json'));
    expect(next.exitCode, next.stderr).toBe(0);
    for (const c of CONTEXTS) expect(next.stderr).toMatch(new RegExp(`${c}: took over the lock of \\S+ \\(install, pid ${killed.pid}, started [0-9:]+ UTC\\): not renewed for \\d+ s \\(that run is gone\\)`));
    await intactAfterReRun();
  });

  it('a live lock is never taken over: status shows who holds it without waiting; install waits past the lease, then exits 8 having changed nothing', async () => {
    const holder = liveLockOf('dp1', { user: 'alice', host: 'ci-42', pid: 4242, command: 'upgrade' });
    await holder.start();
    try {
      const status = await k8ssandra(['status', '--contexts', ALL, '-o', 'json']);
      expect(status.exitCode, status.stderr).toBe(0);
      const dp1 = status.json().clusters.find((c: any) => c.context === 'dp1');
      expect(dp1.locks).toEqual([expect.objectContaining({ namespace: NS, command: 'upgrade', user: 'alice', host: 'ci-42', pid: 4242, expired: false,
        holder: expect.stringMatching(/^alice@ci-42 \(upgrade, pid 4242, started \d\d:\d\d:\d\d UTC\)$/) })]);
      const text = await k8ssandra(['status', '--contexts', ALL]);
      expect(text.stdout).toMatch(/Runs under way \(they hold the lock\):\n {2}dp1: alice@ci-42 \(upgrade, pid 4242, started [0-9:]+ UTC\), namespace k8ssandra-operator, since /);

      const rvs = async () => Promise.all(CONTEXTS.map(async (c) => (await kubectlJson(c, '-n', NS, 'get', 'deployment', 'k8ssandra-operator')).metadata.resourceVersion));
      const before = await rvs();
      // Longer than the lease (15 s): a lock that is renewed is waited for, never taken over.
      const r = await k8ssandra(installArgs('--rotate-tokens', '--timeout', '20s', '-o', 'json'));
      expect(r.exitCode, r.stderr).toBe(8);
      expect(r.stderr).toMatch(/dp1: waiting for the run of alice@ci-42 \(upgrade, pid 4242, started [0-9:]+ UTC\) to finish/);
      expect(r.stderr).not.toMatch(/took over/);
      expect(r.json().error).toMatchObject({ exit: 'locked', message: expect.stringMatching(/^dp1: waited for the run of alice@ci-42 .* until --timeout; nothing was changed/) });
      expect(r.json().error.hint).toMatch(/run the same command again once that run has finished/);
      expect(await rvs()).toEqual(before);
      expect(await kubectl('dp1', '-n', NS, 'get', 'lease', LOCK, '-o', 'jsonpath={.spec.holderIdentity}')).toBe('alice@ci-42/4242/feedbeef');
      // The locks it took in the other clusters while it waited were given back.
      for (const c of ['cp', 'dp2']) expect(await kubectl(c, '-n', NS, 'get', 'lease', LOCK, '--ignore-not-found', '-o', 'name'), c).toBe('');
    } finally {
      await holder.stop();
    }
  });

  it('a namespace a run created stays when someone else put something in it meanwhile, and the line says what', async () => {
    const ns = uniqueName('lock-ns');
    const run = startK8ssandra(['check', '--contexts', ALL, '--namespace', ns, '--probe-timeout', '1s', '-o', 'json']);
    await run.waitForStderr(/ok Take the lock of every cluster/);
    await kubectl('dp1', '-n', ns, 'create', 'configmap', 'someones-data', '--from-literal=k=v');
    const r = await run.result;
    // The install in k8ssandra-operator makes the preflight of another namespace fail; the probe and the lock ran all the same.
    expect(r.json().checks.filter((c: any) => c.status === 'fail').map((c: any) => c.id), r.stderr).toEqual(Array(3).fill('OPERATOR-EXISTING'));
    expect(r.json().routability.pairs.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(new RegExp(`dp1: namespace ${ns} is kept: it holds ConfigMap/someones-data`));
    for (const c of ['cp', 'dp2']) expect(r.stderr).toMatch(new RegExp(`${c}: namespace ${ns} created by this run, deleted again \\(it held nothing else\\)`));
    expect(await kubectl('dp1', '-n', ns, 'get', 'configmap', 'someones-data', '-o', 'name')).toBe('configmap/someones-data');
    await waitFor(`${ns} gone from cp and dp2`, async () => {
      const left = await Promise.all(['cp', 'dp2'].map((c) => kubectl(c, 'get', 'namespace', ns, '--ignore-not-found', '-o', 'name')));
      return left.every((l) => l === '') ? true : undefined;
    }, 60_000);
    await kubectl('dp1', 'delete', 'namespace', ns, '--wait=false');
  });

  it('the namespace deleted under a run by someone else: a conflict or a lost lock with the hint to re-run, never an internal error; the re-run converges', async () => {
    await Promise.all(CONTEXTS.map((c) => removeInstall(c)));
    const run = startK8ssandra(installArgs('-o', 'json'));
    await run.waitForStderr(/ok Take the lock of every cluster/);
    await kubectl('dp2', 'delete', 'namespace', NS, '--wait=false');
    const r = await run.result;
    expect([7, 8], r.stderr).toContain(r.exitCode);
    expect(r.json().error.hint).toMatch(/run the same command again/);
    await waitFor('dp2\'s namespace gone', async () => ((await kubectl('dp2', 'get', 'namespace', NS, '--ignore-not-found', '-o', 'name')) === '' ? true : undefined), 120_000);
    await intactAfterReRun();
  });
});
