// remove-dc on the bed. No operator runs here, so the test plays the control-plane operator's decommission
// (controllers/k8ssandra/cleanup.go, schemas.go in k8ssandra-operator v1.32.5) with a small stand-in that
// does what the real one did when run by hand: a datacenter that left the spec gets decommissionProgress
// UpdatingReplication; while a user keyspace still replicates to it, the operator refuses at every attempt,
// in status.error and in a Warning event ("cannot decommission DC dc2: keyspace app still has replicas on
// it"), the events stopping after about 25 (client-go's spam filter), and after each refusal it waits
// longer before its next attempt, unless the K8ssandraCluster's annotations change; once no keyspace
// replicates to it, Decommissioning, the CassandraDatacenter is deleted and the status entry goes.
// kubectl is the judge.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, kubectl, kubectlJson, uniqueName, unlessNoSuchType, waitFor } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, startK8ssandra } from '../helpers/cli.js';

const NS = 'k8ssandra-operator';
const KC = uniqueName('rmdc');
const STORAGE = { cassandraDataVolumeClaimSpec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } };
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const ready = () => ({ cassandra: { cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: now() }] } });
const k8c = () => kubectlJson('cp', '-n', NS, 'get', 'k8ssandracluster', KC);
const removeDc = (...args: string[]) => k8ssandra(['remove-dc', '--cluster', KC, '--control-plane', 'cp', '-o', 'json', ...args]);

/** dc1 in dp1 and dc2 in dp2, both Ready, the cluster initialized (what the operator would have written). */
async function twoDatacenters(extraStatus: Record<string, unknown> = {}) {
  // Made anew: kubectl apply would not bring back a datacenter that a patch removed (its last-applied copy still has it).
  await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', KC, '--ignore-not-found');
  await apply('cp', { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: KC, namespace: NS },
    spec: { cassandra: { serverVersion: '4.1.5', storageConfig: STORAGE, datacenters: [
      { metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 1 }, { metadata: { name: 'dc2' }, k8sContext: 'dp2', size: 1 }] } } });
  const generation = (await k8c()).metadata.generation;
  await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: {
    observedGeneration: generation, error: 'None', conditions: [{ type: 'CassandraInitialized', status: 'True', lastTransitionTime: now() }],
    datacenters: { dc1: { ...ready(), contextName: 'dp1' }, dc2: { ...ready(), contextName: 'dp2' }, ...extraStatus } } }));
  for (const [ctx, dc] of [['dp1', 'dc1'], ['dp2', 'dc2']] as const) {
    await apply(ctx, { apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', metadata: { name: dc, namespace: NS },
      spec: { clusterName: KC, serverType: 'cassandra', serverVersion: '4.1.5', size: 1, storageConfig: STORAGE } });
  }
}

/**
 * The operator's decommission of any datacenter that left the spec, every 300 ms until stopped. `refuseFor`
 * is a user keyspace that still replicates to it (the test "alters" it by clearing the value); `eventsLeft`
 * the Warning events the spam filter still lets through; `retryAfterRefusalMs` how long the operator waits
 * after a refusal before it tries again on its own (an annotation change makes it try at once).
 */
function operatorStandIn() {
  const state = { refuseFor: 'app' as string | undefined, refusals: 0, paused: false, eventsLeft: Infinity, retryAfterRefusalMs: 0 };
  let stopped = false;
  let nextTry = 0;
  let annotations = '';
  const patchStatus = (status: unknown) => kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
  const refuse = async (dc: string) => {
    const message = `cannot decommission DC ${dc}: keyspace ${state.refuseFor} still has replicas on it`;
    state.refusals++;
    await patchStatus({ error: message });
    if (state.eventsLeft-- <= 0) return;
    const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: `${KC}.refusal`, namespace: NS }, type: 'Warning', reason: 'Reconcile Error', message,
      involvedObject: { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', name: KC, namespace: NS },
      firstTimestamp: now(), lastTimestamp: now(), count: state.refusals, source: { component: 'k8ssandracluster-controller' } };
    await apply('cp', event);
  };
  const loop = (async () => {
    while (!stopped) {
      const kc = await k8c().catch(() => undefined);
      const seen = JSON.stringify(kc?.metadata?.annotations ?? {});
      const woken = seen !== annotations;
      annotations = seen;
      const inSpec = new Set(((kc?.spec?.cassandra?.datacenters ?? []) as { metadata: { name: string } }[]).map((d) => d.metadata.name));
      for (const [dc, st] of Object.entries((kc?.status?.datacenters ?? {}) as Record<string, any>)) {
        if (inSpec.has(dc) || state.paused) continue;
        const ctx = st.contextName || 'cp';
        if (!st.decommissionProgress) await patchStatus({ datacenters: { [dc]: { decommissionProgress: 'UpdatingReplication' } } });
        else if (st.decommissionProgress === 'UpdatingReplication') {
          if (!woken && Date.now() < nextTry) continue;
          if (state.refuseFor) {
            await refuse(dc);
            nextTry = Date.now() + state.retryAfterRefusalMs;
          } else await patchStatus({ error: 'None', datacenters: { [dc]: { decommissionProgress: 'Decommissioning' } } });
        } else {
          await kubectl(ctx, '-n', NS, 'delete', 'cassandradatacenter', dc, '--ignore-not-found', '--wait=false');
          await patchStatus({ datacenters: { [dc]: null } });
        }
      }
      await sleep(300);
    }
  })();
  return { state, stop: async () => { stopped = true; await loop; } };
}

describe('k8ssandra remove-dc on the test bed (the operator played by a stand-in)', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    await Promise.all(['cp', 'dp1', 'dp2'].map((c) => kubectl(c, 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator',
      '--field-selector', `metadata.namespace!=${NS}`, '--ignore-not-found')));
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags]);
    expect(r.exitCode, r.stderr).toBe(0);
    await Promise.all(['dp1', 'dp2'].map((c) => kubectl(c, '-n', NS, 'delete', 'cassandradatacenters', '--all', '--ignore-not-found')));
    await twoDatacenters();
  }, 400_000);
  afterAll(async () => {
    await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', KC, '--ignore-not-found');
    await kubectl('cp', '-n', NS, 'delete', 'event', `${KC}.refusal`, '--ignore-not-found');
    // Its datacenters have no status: left behind, they would read as not Ready to the files after this one.
    await Promise.all([['dp1', 'dc1'], ['dp2', 'dc2']].map(([c, dc]) => kubectl(c!, '-n', NS, 'delete', 'cassandradatacenter', dc!, '--ignore-not-found').catch(unlessNoSuchType)));
  });

  it('refuses, changing nothing (exit 3, a named check each): the last datacenter, a cluster not Ready, another decommission under way', async () => {
    const rv = (await k8c()).metadata.resourceVersion;
    // Not Ready: dc1 is updating.
    await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p',
      JSON.stringify({ status: { datacenters: { dc1: { cassandra: { cassandraOperatorProgress: 'Updating' } } } } }));
    const notReady = await removeDc('--dc', 'dc2', '--yes');
    expect(notReady.exitCode, notReady.stderr).toBe(3);
    expect(notReady.json().checks.filter((c: any) => c.status === 'fail').map((c: any) => c.id)).toEqual(['DC-REMOVE-CLUSTER-READY']);
    expect(notReady.json().error.message).toMatch(/not ready for a datacenter to leave: datacenter dc1 is/);
    // Another datacenter being decommissioned.
    await twoDatacenters({ dc0: { decommissionProgress: 'Decommissioning', contextName: 'dp1' } });
    const busy = await removeDc('--dc', 'dc2', '--yes');
    expect(busy.exitCode, busy.stderr).toBe(3);
    expect(busy.json().error.message).toBe(`another change is under way in ${KC}: datacenter dc0 is being decommissioned (Decommissioning)`);
    await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { datacenters: { dc0: null } } }));
    // The last datacenter: a cluster of one.
    const one = uniqueName('rmdc-one');
    await apply('cp', { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: one, namespace: NS },
      spec: { cassandra: { serverVersion: '4.1.5', storageConfig: STORAGE, datacenters: [{ metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 1 }] } } });
    try {
      const last = await k8ssandra(['remove-dc', '--cluster', one, '--dc', 'dc1', '--yes', '-o', 'json']);
      expect(last.exitCode, last.stderr).toBe(3);
      expect(last.json().checks.find((c: any) => c.id === 'DC-REMOVE-LAST')).toMatchObject({ status: 'fail' });
    } finally {
      await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', one);
    }
    // Each refusal came before any change: the spec is as it was (only the test's own status writes moved the version).
    expect((await k8c()).spec.cassandra.datacenters.map((d: any) => d.metadata.name)).toEqual(['dc1', 'dc2']);
    expect(rv).toBeTruthy();
  });

  it('--dry-run: the checks and a server-side dry run of the patch; nothing changes', async () => {
    // A Cassandra pod of dc1 (kwok runs it): its management API is asked through the API server's pod proxy,
    // which the bed's API servers refuse for loopback pod IPs; the run says so and goes on.
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${KC}-dc1-r1-sts-0`, namespace: NS,
      labels: { 'cassandra.datastax.com/datacenter': 'dc1', 'cassandra.datastax.com/cluster': KC } },
    spec: { containers: [{ name: 'cassandra', image: 'k8ssandra/cass-management-api:4.1.5', ports: [{ name: 'mgmt-api-http', containerPort: 8080 }] }] } };
    await apply('dp1', pod);
    await waitFor('dc1\'s pod Ready', async () => ((await kubectlJson('dp1', '-n', NS, 'get', 'pod', pod.metadata.name)).status?.conditions
      ?.some((c: any) => c.type === 'Ready' && c.status === 'True') ? true : undefined), 60_000);
    const before = (await k8c()).metadata.resourceVersion;
    const r = await removeDc('--dc', 'dc2', '--dry-run');
    await kubectl('dp1', '-n', NS, 'delete', 'pod', pod.metadata.name, '--wait=false');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ dryRun: true, datacenterRemoval: { name: 'dc2', context: 'dp2', action: 'removed', done: false } });
    expect(r.json().summary).toMatch(/^dry run: datacenter dc2 .* would be removed; the API server accepts it; nothing was changed$/);
    // The keyspaces cannot be read on the bed (the API server does not proxy to loopback pod IPs): said, as a warning.
    expect(r.json().checks.find((c: any) => c.id === 'DC-REMOVE-KEYSPACES')).toMatchObject({ status: 'warn',
      message: expect.stringMatching(/the keyspaces could not be read \(dp1: the API server's pod proxy answered 400: address not allowed\)/) });
    expect((await k8c()).metadata.resourceVersion).toBe(before);
  });

  it('the operator refuses (a keyspace still on dc2): reported within seconds with the keyspace named, and status says why', async () => {
    // --no-wait: out of the spec, not followed. --alter-keyspaces cannot act where the keyspaces cannot be read, and says so.
    const patched = await removeDc('--dc', 'dc2', '--yes', '--no-wait', '--namespace', NS, '--alter-keyspaces');
    expect(patched.exitCode, patched.stderr).toBe(0);
    expect(patched.json().datacenterRemoval).toMatchObject({ action: 'removed', done: false, state: 'removed from the spec; not followed (--no-wait)' });
    expect(patched.json().checks.find((c: any) => c.id === 'DC-REMOVE-KEYSPACES')).toMatchObject({ status: 'warn' });
    expect(patched.stderr).not.toMatch(/ran ALTER KEYSPACE/);
    expect((await k8c()).spec.cassandra.datacenters.map((d: any) => d.metadata.name)).toEqual(['dc1']);

    const operator = operatorStandIn();
    try {
      const started = Date.now();
      const r = await removeDc('--dc', 'dc2', '--yes', '--timeout', '10m');
      expect(r.exitCode, r.stderr).toBe(3);
      expect(Date.now() - started, 'not at --timeout').toBeLessThan(5 * 60_000);
      expect(r.json().error.message).toBe('the operator refuses to decommission dc2: user keyspaces still replicate to it: app');
      // The replication of app was not read (the pod proxy): the statement names the datacenter that stays.
      expect(r.json().error.hint).toMatch(/^run ALTER KEYSPACE app WITH replication = \{'class': 'NetworkTopologyStrategy', 'dc1': <replicas>\};/);
      expect(r.json().datacenterRemoval).toMatchObject({ action: 'following', refusedFor: ['app'], done: false });
      expect(r.stderr).toMatch(/dc2: UpdatingReplication/);
      expect((await k8c()).spec.cassandra.datacenters.map((d: any) => d.metadata.name)).toEqual(['dc1']);

      const status = await k8ssandra(['status', '--contexts', 'cp,dp1,dp2', '-o', 'json']);
      expect(status.json().checks.find((c: any) => c.id === 'STATUS-DC-DECOMMISSION')).toMatchObject({ status: 'warn',
        message: `${NS}/${KC} dc dc2: the operator refuses to decommission it: user keyspaces still replicate to it: app` });

      // As the real operator did: it now waits long after each refusal, and its events have stopped (spam
      // filter). A re-run asks it to try again now (an annotation), and its unchanged status.error is the answer.
      operator.state.retryAfterRefusalMs = 600_000;
      operator.state.eventsLeft = 0;
      await sleep(1000); // one more refusal: from now on the stand-in waits 10 min
      const rerun = Date.now();
      const still = await removeDc('--dc', 'dc2', '--yes', '--timeout', '5m');
      expect(still.exitCode, still.stderr).toBe(3);
      expect(Date.now() - rerun, 'answered by the retry asked for, not at the operator\'s own next attempt').toBeLessThan(120_000);
      expect(still.stderr).toMatch(/the operator refused before this run \(last event [^)]+\): app still replicated to dc2; asked it to try again now \(annotation k8ssandra.io\/decommission-retry\)/);
      expect(still.json().error.message).toBe('the operator refuses to decommission dc2: user keyspaces still replicate to it: app');
      expect((await k8c()).metadata.annotations['k8ssandra.io/decommission-retry']).toMatch(/^\d{4}-\d\d-\d\dT/);

      // The user alters the keyspace; the operator goes on. An interrupted follow, then a re-run that finishes
      // within --timeout 2m although the operator would try again on its own only in 10 min.
      operator.state.paused = true;
      operator.state.refuseFor = undefined;
      await sleep(3000); // the stand-in's last refusal is older than the next run
      const run = startK8ssandra(['remove-dc', '--cluster', KC, '--dc', 'dc2', '--control-plane', 'cp', '-o', 'json']);
      await run.waitForStderr(/Follow the operator/);
      run.kill('SIGINT');
      const interrupted = await run.result;
      expect(interrupted.exitCode, interrupted.stderr).toBe(130);
      expect(interrupted.json().datacenterRemoval).toMatchObject({ action: 'following', done: false, state: 'UpdatingReplication' });
      operator.state.paused = false;
      const again = await removeDc('--dc', 'dc2', '--yes', '--timeout', '2m');
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.json().datacenterRemoval).toMatchObject({ action: expect.stringMatching(/following|gone/), done: true, dataPlaneFree: true });
      expect(again.stderr).toMatch(/dp2 hosts no datacenter any more: k8ssandra uninstall --contexts dp2 --control-plane cp removes its data plane \(or pass --uninstall-data-plane\)/);
      expect(await kubectl('dp2', '-n', NS, 'get', 'cassandradatacenter', 'dc2', '--ignore-not-found', '-o', 'name')).toBe('');
      expect(Object.keys((await k8c()).status.datacenters)).toEqual(['dc1']);
    } finally {
      await operator.stop();
    }
  });

  it('two remove-dc of the same datacenter at once: one after the other under the lock; it is removed once, both succeed', async () => {
    await twoDatacenters();
    const operator = operatorStandIn();
    operator.state.refuseFor = undefined;
    try {
      const args = ['remove-dc', '--cluster', KC, '--dc', 'dc2', '--control-plane', 'cp', '--yes', '-o', 'json', '--timeout', '3m'];
      // The operator holds still until both runs are under way, so that they surely overlap.
      operator.state.paused = true;
      const first = startK8ssandra(args);
      await first.waitForStderr(/Follow the operator/);
      const second = startK8ssandra(args);
      await second.waitForStderr(/waiting for the run of .*remove-dc/);
      operator.state.paused = false;
      const [one, two] = await Promise.all([first.result, second.result]);
      expect(one.exitCode, one.stderr).toBe(0);
      expect(two.exitCode, two.stderr).toBe(0);
      expect(one.json().datacenterRemoval).toMatchObject({ action: 'removed', done: true });
      // After the wait, read again under the lock: the removal made, nothing patched a second time.
      expect(two.json().datacenterRemoval).toMatchObject({ action: 'gone', done: true });
      expect(one.stderr).toMatch(/removed dc2 from spec/);
      expect(two.stderr).not.toMatch(/removed dc2 from spec/);
    } finally {
      await operator.stop();
    }
    expect((await k8c()).spec.cassandra.datacenters.map((d: any) => d.metadata.name)).toEqual(['dc1']);
    expect(Object.keys((await k8c()).status.datacenters)).toEqual(['dc1']);
    expect(await kubectl('dp2', '-n', NS, 'get', 'cassandradatacenter', 'dc2', '--ignore-not-found', '-o', 'name')).toBe('');
    expect(await kubectl('cp', '-n', NS, 'get', 'lease', 'k8ssandra-cli-lock', '--ignore-not-found', '-o', 'name')).toBe('');
  });

  it('afterwards the data plane that ran only dc2 is uninstalled on request (--uninstall-data-plane), never silently', async () => {
    // Gone already: nothing to remove, and nothing else is touched (dp2 kept its operator after the runs above).
    const plain = await removeDc('--dc', 'dc2', '--yes');
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.json().summary).toMatch(/is not in the K8ssandraCluster: nothing to remove/);
    expect(await kubectl('dp2', '-n', NS, 'get', 'deployment', 'k8ssandra-operator', '-o', 'name')).toBe('deployment.apps/k8ssandra-operator');
    // dc2 once more, removed with the flag: the data plane goes with its registration, by uninstall's own steps.
    await twoDatacenters();
    const operator = operatorStandIn();
    operator.state.refuseFor = undefined;
    try {
      const r = await removeDc('--dc', 'dc2', '--uninstall-data-plane', '--yes');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.json().datacenterRemoval).toMatchObject({ action: 'removed', done: true, dataPlaneFree: true, dataPlaneUninstalled: true });
      expect(r.json().summary).toMatch(/; dp2's data plane uninstalled$/);
    } finally {
      await operator.stop();
    }
    expect(await kubectl('dp2', '-n', NS, 'get', 'deployment', 'k8ssandra-operator', '--ignore-not-found', '-o', 'name')).toBe('');
    expect(await kubectl('cp', '-n', NS, 'get', 'clientconfig', 'dp2', '--ignore-not-found', '-o', 'name')).toBe('');
  });
});
