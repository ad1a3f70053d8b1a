// Moving the control plane on the test bed: cp -> dp1 with both reachable (refused while a datacenter is
// not Ready, --dry-run, a SIGKILL at each step then a re-run, status before, during and after), then back
// to cp from an export of dp1 while dp1's API server is cut (a fault proxy in front of it, down: connections
// refused), then dp1 coming back and being cleaned up. The bed runs no real operator: the test plays it. It writes the K8ssandraCluster's
// status, the CassandraDatacenters (with a StatefulSet each) and the replicated Secrets the operators
// would have made, and puts the operator's finalizer on the K8ssandraCluster and the ReplicatedSecret.
// kubectl is the judge: nothing in any data plane may change (same UID, generation, resourceVersion, data).
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, bedKubeconfig, kubectl, kubectlJson, uniqueName, unlessNoSuchType } from '../helpers/bed.js';
import { clearOperatorObjects } from '../helpers/uninstalled.js';
import { bedInstallFlags, k8ssandra, startK8ssandra } from '../helpers/cli.js';
import { startConsumer, type Consumer } from '../helpers/consumer.js';
import { FaultProxy, writeKubeconfig } from '../helpers/fault-proxy.js';

const NS = 'k8ssandra-operator';
const KC = uniqueName('move');
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const FINALIZER = 'k8ssandracluster.k8ssandra.io/finalizer';
const STORAGE = { cassandraDataVolumeClaimSpec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } };
const INITIAL_REPLICATION = '{"datacenters":["dc0","dc1","dc2"],"replicationFactor":3}';
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const ready = () => ({ cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: now() }] });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const SUPERUSER_PASSWORD = 'superuser-secret-password-7f3a';
const ownerLabels = { 'app.kubernetes.io/managed-by': 'k8ssandra-operator', 'k8ssandra.io/cluster-name': KC, 'k8ssandra.io/cluster-namespace': NS };
/** Where each datacenter runs. */
const DCS: [string, string][] = [['dc0', 'cp'], ['dc1', 'dp1'], ['dc2', 'dp2']];

const move = (...args: string[]) => k8ssandra(['move-control-plane', ...args, '--yes', '-o', 'json']);
/** The same, with a kubeconfig whose dp1 goes through a fault proxy. */
const moveVia = (kubeconfig: string, ...args: string[]) => k8ssandra(['move-control-plane', ...args, '--yes', '-o', 'json'], { kubeconfig });
const status = () => k8ssandra(['status', '--contexts', CONTEXTS.join(','), '-o', 'json']);
const byId = (r: any, id: string) => r.checks.filter((c: any) => c.id === id);

function serverOf(context: string): string {
  const kc = parse(readFileSync(bedKubeconfig(), 'utf8'));
  const cluster = kc.contexts.find((c: any) => c.name === context).context.cluster;
  return kc.clusters.find((c: any) => c.name === cluster).cluster.server as string;
}

const mode = async (context: string) => {
  const d = await kubectlJson(context, '-n', NS, 'get', 'deployment', 'k8ssandra-operator');
  return d.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE').value === 'true' ? 'control-plane' : 'data-plane';
};
const record = async (context: string) => (await kubectlJson(context, '-n', NS, 'get', 'configmap', 'k8ssandra-install')).data;
const getOrNull = (context: string, ...what: string[]) => kubectl(context, '-n', NS, 'get', ...what, '--ignore-not-found', '-o', 'json')
  .then((out) => (out ? JSON.parse(out) : null));

/** What must never change in a data plane: CassandraDatacenters, StatefulSets and replicated Secrets, by UID, generation, resourceVersion and data. */
async function dataPlaneSnapshot() {
  const out: Record<string, unknown> = {};
  for (const [dc, ctx] of DCS) {
    for (const kind of ['cassandradatacenter', 'statefulset']) {
      const name = kind === 'statefulset' ? `${KC}-${dc}-default-sts` : dc;
      const o = await kubectlJson(ctx, '-n', NS, 'get', kind, name);
      out[`${ctx}/${kind}/${name}`] = { uid: o.metadata.uid, generation: o.metadata.generation, rv: o.metadata.resourceVersion,
        annotations: o.metadata.annotations ?? {} };
    }
  }
  for (const ctx of ['dp1', 'dp2']) {
    for (const name of [`${KC}-superuser`, `${KC}-reaper`]) {
      const s = await kubectlJson(ctx, '-n', NS, 'get', 'secret', name);
      out[`${ctx}/secret/${name}`] = { uid: s.metadata.uid, rv: s.metadata.resourceVersion, data: s.data };
    }
  }
  return out;
}

/** The operator's objects in cp, as the control plane and cass-operator would have made them, all Ready. */
async function seed() {
  const secret = (name: string, data: Record<string, string>, labels: Record<string, string>, annotations: Record<string, string> = {}) =>
    ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS, labels, annotations }, type: 'Opaque', data });
  const superuser = { username: b64(`${KC}-superuser`), password: b64(SUPERUSER_PASSWORD) };
  const reaper = { username: b64('reaper'), password: b64('reaper-pass') };
  await apply('cp', secret(`${KC}-superuser`, superuser, ownerLabels), secret(`${KC}-reaper`, reaper, ownerLabels),
    // Named by the spec (Medusa's bucket), selected by no ReplicatedSecret: only the control plane holds it.
    secret(`${KC}-medusa-bucket`, { credentials: b64('bucket-key') }, {}));
  for (const ctx of ['dp1', 'dp2']) {
    // Replicas, as the SecretSync controller writes them: the source's labels, plus its hash annotation.
    await apply(ctx, secret(`${KC}-superuser`, superuser, ownerLabels, { 'k8ssandra.io/resource-hash': 'h1' }),
      secret(`${KC}-reaper`, reaper, ownerLabels, { 'k8ssandra.io/resource-hash': 'h2' }));
  }
  await apply('cp', {
    apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster',
    metadata: { name: KC, namespace: NS, finalizers: [FINALIZER], annotations: { 'k8ssandra.io/initial-system-replication': INITIAL_REPLICATION }, labels: { team: 'storage' } },
    spec: {
      cassandra: { serverVersion: '4.1.5', storageConfig: STORAGE, superuserSecretRef: { name: `${KC}-superuser` },
        datacenters: DCS.map(([dc, ctx]) => ({ metadata: { name: dc }, ...(ctx === 'cp' ? {} : { k8sContext: ctx }), size: 1 })) },
      medusa: { storageProperties: { storageProvider: 's3_compatible', bucketName: 'b', storageSecretRef: { name: `${KC}-medusa-bucket` } } },
    },
  }, {
    apiVersion: 'replication.k8ssandra.io/v1alpha1', kind: 'ReplicatedSecret', metadata: { name: KC, namespace: NS, labels: ownerLabels, finalizers: ['replicatedsecret.k8ssandra.io/finalizer'] },
    spec: { selector: { matchLabels: { 'app.kubernetes.io/managed-by': 'k8ssandra-operator', 'k8ssandra.io/cluster-name': KC } },
      replicationTargets: [{ k8sContextName: 'dp1' }, { k8sContextName: 'dp2' }] },
  }, {
    apiVersion: 'control.k8ssandra.io/v1alpha1', kind: 'K8ssandraTask', metadata: { name: `${KC}-restart`, namespace: NS },
    spec: { cluster: { name: KC }, template: { jobs: [{ name: 'restart', command: 'restart' }] } },
  });
  const kc = await kubectlJson('cp', '-n', NS, 'get', 'k8ssandracluster', KC);
  // Something in cp that names the K8ssandraCluster as its owner: removing the old copy must not garbage-collect it.
  await apply('cp', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${KC}-owned`, namespace: NS,
    ownerReferences: [{ apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', name: KC, uid: kc.metadata.uid }] }, data: { a: 'b' } });
  await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: {
    observedGeneration: kc.metadata.generation, error: 'None', conditions: [{ type: 'CassandraInitialized', status: 'True', lastTransitionTime: now() }],
    datacenters: Object.fromEntries(DCS.map(([dc]) => [dc, { cassandra: ready() }])) } }));
  await kubectl('cp', '-n', NS, 'patch', 'replicatedsecret', KC, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: {
    conditions: ['dp1', 'dp2'].map((c) => ({ type: 'Replication', status: 'True', cluster: c, lastTransitionTime: now() })) } }));
  await kubectl('cp', '-n', NS, 'patch', 'k8ssandratask', `${KC}-restart`, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: {
    startTime: now(), completionTime: now(), succeeded: 1 } }));
  for (const [dc, ctx] of DCS) {
    await apply(ctx, {
      apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', metadata: { name: dc, namespace: NS, labels: { 'k8ssandra.io/cluster-name': KC },
        annotations: { 'k8ssandra.io/resource-hash': `hash-${dc}` } },
      spec: { clusterName: KC, serverType: 'cassandra', serverVersion: '4.1.5', size: 1, storageConfig: STORAGE },
    }, {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: `${KC}-${dc}-default-sts`, namespace: NS, labels: { 'cassandra.datastax.com/datacenter': dc } },
      spec: { replicas: 0, serviceName: dc, selector: { matchLabels: { app: `${KC}-${dc}` } },
        template: { metadata: { labels: { app: `${KC}-${dc}` } }, spec: { containers: [{ name: 'cassandra', image: 'cassandra:4.1.5' }] } } },
    });
    await setDatacenter(ctx, dc, ready());
  }
}

const setDatacenter = (ctx: string, dc: string, st: object) =>
  kubectl(ctx, '-n', NS, 'patch', 'cassandradatacenter', dc, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: st }));

describe('move-control-plane on the test bed', { timeout: 600_000 }, () => {
  let before: Record<string, unknown>;
  const dir = mkdtempSync(path.join(tmpdir(), 'k8ssandra-move-'));
  const exportFile = path.join(dir, 'dp1-export.yaml');

  beforeAll(async () => {
    // An earlier run of this file may have stopped with the control plane elsewhere: cp gets it back.
    for (const ctx of CONTEXTS) {
      const m = await mode(ctx).catch(() => undefined);
      if (m && (m === 'control-plane') !== (ctx === 'cp')) await kubectl(ctx, '-n', NS, 'delete', 'deployment', 'k8ssandra-operator');
      // On a fresh bed nothing is installed yet: no ClientConfig kind to delete.
      if (ctx !== 'cp') await kubectl(ctx, '-n', NS, 'delete', 'clientconfigs', '--all', '--ignore-not-found').catch(unlessNoSuchType);
    }
    const installed = await k8ssandra(['install', '--contexts', CONTEXTS.join(','), ...bedInstallFlags]);
    expect(installed.exitCode, installed.stderr).toBe(0);
    await clearOperatorObjects(CONTEXTS, NS);
    await seed();
    before = await dataPlaneSnapshot();
    // The bed's registration consumer, following the control plane wherever it runs.
    consumer = await startConsumer({ context: 'follow', backoffMs: 1000, maxBackoffMs: 2000 });
    const started = await consumer.waitForEvent('start');
    expect(started.context).toBe('cp');
    await consumer.waitSynced(['dp1', 'dp2']);
  }, 600_000);

  let proxy: FaultProxy | undefined;
  let consumer: Consumer | undefined;
  afterAll(async () => {
    await proxy?.close();
    await consumer?.stop();
    // What this file made, gone again (the control plane is back on cp by the last test).
    await clearOperatorObjects(CONTEXTS, NS);
    for (const ctx of CONTEXTS) {
      for (const kind of ['statefulset', 'secret', 'configmap']) {
        const names = (await kubectl(ctx, '-n', NS, 'get', kind, '-o', 'name')).split('\n').filter((n) => n.includes(`/${KC}-`));
        if (names.length) await kubectl(ctx, '-n', NS, 'delete', ...names, '--ignore-not-found', '--wait=false');
      }
    }
  });

  it('status before: cp runs the control plane, no move under way', async () => {
    const r = (await status()).json();
    expect(byId(r, 'STATUS-NO-CONTROL-PLANE')[0]).toMatchObject({ status: 'pass', message: 'cp runs the control plane' });
    expect(byId(r, 'STATUS-CONTROL-PLANE-MOVE')).toEqual([]);
  });

  it('refuses with exit 3 while a datacenter is not Ready or is being rebuilt, naming the check, and changes nothing', async () => {
    await setDatacenter('dp2', 'dc2', { cassandraOperatorProgress: 'Updating' });
    try {
      const r = await move('--from', 'cp', '--to', 'dp1');
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.json().checks.find((c: any) => c.id === 'MOVE-DATACENTERS-READY')).toMatchObject({ status: 'fail',
        message: expect.stringMatching(new RegExp(`CassandraDatacenter ${NS}/dc2 in dp2 is Updating`)) });
      expect(r.json().error).toMatchObject({ exit: 'checksFailed', hint: expect.stringMatching(/^wait until it is finished/) });
    } finally {
      await setDatacenter('dp2', 'dc2', ready());
    }
    // A rebuild under way: the operator marks it on the K8ssandraCluster.
    await kubectl('cp', '-n', NS, 'annotate', 'k8ssandracluster', KC, 'k8ssandra.io/rebuild-dc=dc2');
    try {
      const r = await move('--from', 'cp', '--to', 'dp1');
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.json().checks.find((c: any) => c.id === 'MOVE-NO-REBUILD')).toMatchObject({ status: 'fail',
        message: expect.stringMatching(/datacenter dc2 is being rebuilt \(k8ssandra.io\/rebuild-dc\)/) });
    } finally {
      await kubectl('cp', '-n', NS, 'annotate', 'k8ssandracluster', KC, 'k8ssandra.io/rebuild-dc-');
    }
    expect(await getOrNull('dp1', 'k8ssandracluster', KC)).toBeNull();
    expect((await record('cp')).movingTo).toBeUndefined();
    expect(await mode('cp')).toBe('control-plane');
    before = await dataPlaneSnapshot();
  });

  it('--dry-run shows where the move stands and every step, and changes nothing', async () => {
    const r = await move('--from', 'cp', '--to', 'dp1', '--dry-run');
    expect(r.exitCode, r.stderr).toBe(0);
    const m = r.json().move;
    expect(m).toMatchObject({ from: 'cp', to: 'dp1', phase: 'start', k8ssandraClusters: [`${NS}/${KC}`],
      secrets: [`${KC}-medusa-bucket`, `${KC}-reaper`, `${KC}-superuser`], missingSecrets: [] });
    expect(m.steps.map((s: any) => s.step)).toEqual(['record', 'register', 'copy', 'switch-old', 'switch-new', 'clean-up', 'finish']);
    expect(r.json().summary).toMatch(/^dry run: would move the control plane from cp to dp1/);
    expect(await getOrNull('dp1', 'k8ssandracluster', KC)).toBeNull();
    expect(await getOrNull('dp1', 'clientconfig', 'dp2')).toBeNull();
    expect(await mode('cp')).toBe('control-plane');
  });

  it('killed (SIGKILL) at each step, status says half-moved, and the same command finishes the move', async () => {
    const args = ['move-control-plane', '--from', 'cp', '--to', 'dp1', '--api-server', `dp2=${serverOf('dp2')}`, '--token-ttl', '720h',
      '--namespace', NS, '--timeout', '5m', '--yes'];
    const steps = [/Record the move in cp and dp1/, /Register cp, dp2 with dp1/, /Copy the K8ssandraClusters/, /Switch cp's operator to data-plane mode/, /Copy what changed in cp since into dp1/, /Switch dp1's operator to control-plane mode/,
      /Remove cp's copies/, /Write the install records/];
    const seen: string[] = [];
    for (const step of steps) {
      const p = startK8ssandra(args);
      await p.waitForStderr(step);
      p.kill('SIGKILL');
      await p.result;
      // Meanwhile: never two control planes, and status reports a move, not a failure of control planes.
      const s = (await status()).json();
      const cps = ['cp', 'dp1'].filter((c) => s.clusters.find((x: any) => x.context === c)?.role === 'control-plane');
      expect(cps.length, `after a kill at ${step}`).toBeLessThanOrEqual(1);
      expect(byId(s, 'STATUS-TWO-CONTROL-PLANES').filter((c: any) => c.status === 'fail')).toEqual([]);
      expect(byId(s, 'STATUS-NO-CONTROL-PLANE').filter((c: any) => c.status === 'fail'), JSON.stringify(byId(s, 'STATUS-NO-CONTROL-PLANE'))).toEqual([]);
      const m = byId(s, 'STATUS-CONTROL-PLANE-MOVE');
      if (m.length) {
        expect(m[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/the control plane is moving from cp to dp1, half-moved/),
          hint: expect.stringMatching(/k8ssandra move-control-plane --from cp --to dp1/) });
        seen.push(m[0].message);
      }
      if (cps.length === 0) expect(byId(s, 'STATUS-NO-CONTROL-PLANE')[0]).toMatchObject({ status: 'warn', message: 'no cluster runs the control plane while it moves from cp to dp1' });
      // The old K8ssandraCluster is never deleted while cp's operator is a control plane.
      if (await mode('cp') === 'control-plane') expect(await getOrNull('cp', 'k8ssandracluster', KC)).not.toBeNull();
      expect(await dataPlaneSnapshot()).toEqual(before);
    }
    expect(seen.length).toBeGreaterThan(0);
    const r = await k8ssandra([...args, '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    // No Secret data in anything the move printed.
    for (const out of [r.stdout, r.stderr]) expect(out).not.toContain(b64(SUPERUSER_PASSWORD));
    // A kill at the last step may land after its writes: then there is nothing left to do.
    expect(r.json().summary).toMatch(/moved the control plane from cp to dp1|dp1 already runs the control plane: nothing to move/);
  });

  it('afterwards: dp1 is the control plane with everything cp held, cp a registered data plane holding no copy, no data plane changed', async () => {
    expect([await mode('cp'), await mode('dp1'), await mode('dp2')]).toEqual(['data-plane', 'control-plane', 'data-plane']);
    const kc = await kubectlJson('dp1', '-n', NS, 'get', 'k8ssandracluster', KC);
    expect(kc.metadata.annotations['k8ssandra.io/initial-system-replication']).toBe(INITIAL_REPLICATION);
    expect(kc.metadata.labels.team).toBe('storage');
    expect(kc.spec.cassandra.datacenters.map((d: any) => [d.metadata.name, d.k8sContext])).toEqual([['dc0', 'cp'], ['dc1', undefined], ['dc2', 'dp2']]);
    expect(Object.keys(kc.status.datacenters).sort()).toEqual(['dc0', 'dc1', 'dc2']);
    expect(kc.status.conditions.find((c: any) => c.type === 'CassandraInitialized').status).toBe('True');
    expect(kc.status.observedGeneration).toBe(kc.metadata.generation);
    const rs = await kubectlJson('dp1', '-n', NS, 'get', 'replicatedsecret', KC);
    expect(rs.spec.replicationTargets).toEqual([{ k8sContextName: 'dp2' }, { k8sContextName: 'cp' }]);
    expect(rs.status.conditions.length).toBe(2);
    expect((await kubectlJson('dp1', '-n', NS, 'get', 'k8ssandratask', `${KC}-restart`)).status.completionTime).toBeDefined();
    for (const name of [`${KC}-superuser`, `${KC}-reaper`, `${KC}-medusa-bucket`]) {
      expect((await kubectlJson('dp1', '-n', NS, 'get', 'secret', name)).data).toEqual((await kubectlJson('cp', '-n', NS, 'get', 'secret', name)).data);
    }
    expect((await kubectl('dp1', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).split('\n').sort()).toEqual(['clientconfig.config.k8ssandra.io/cp', 'clientconfig.config.k8ssandra.io/dp2']);
    for (const kind of ['k8ssandracluster', 'replicatedsecret', 'k8ssandratask', 'clientconfig']) {
      expect(await kubectl('cp', '-n', NS, 'get', kind, '-o', 'name'), kind).toBe('');
    }
    // Deleted orphaning its dependents: what named the old copy as owner is still there, without the owner reference.
    const owned = await kubectlJson('cp', '-n', NS, 'get', 'configmap', `${KC}-owned`);
    expect(owned.metadata.ownerReferences ?? []).toEqual([]);
    expect(await record('cp')).toMatchObject({ role: 'data-plane' });
    expect(await record('dp1')).toMatchObject({ role: 'control-plane' });
    expect((await record('dp1')).movingTo).toBeUndefined();
    expect(await dataPlaneSnapshot()).toEqual(before);
    // No rebuild asked: the operator marks one on the K8ssandraCluster (k8ssandra.io/rebuild-dc).
    expect((await kubectlJson('dp1', '-n', NS, 'get', 'k8ssandracluster', KC)).metadata.annotations?.['k8ssandra.io/rebuild-dc']).toBeUndefined();
    expect(await kubectl('dp2', '-n', NS, 'get', 'cassandratasks', '-o', 'name')).toBe('');
  });

  it('status after: dp1 runs the control plane, every data plane registered with it, no move under way', async () => {
    const r = (await status()).json();
    expect(byId(r, 'STATUS-NO-CONTROL-PLANE')[0]).toMatchObject({ status: 'pass', message: 'dp1 runs the control plane' });
    expect(byId(r, 'STATUS-CONTROL-PLANE-MOVE')).toEqual([]);
    expect(byId(r, 'STATUS-DATA-PLANE-UNREGISTERED').map((c: any) => [c.context, c.status])).toEqual([['cp', 'pass'], ['dp2', 'pass']]);
    expect(r.k8ssandraClusters.map((k: any) => [k.name, k.controlPlane, k.ready])).toEqual([[KC, 'dp1', true]]);
  });

  it('the registration consumer followed the control plane to dp1 and syncs cp and dp2 from there', async () => {
    const replaced = await consumer!.waitForEvent('exit', (e) => e.reason === 'replaced');
    const started = await consumer!.waitForEvent('start', (e) => e.context === 'dp1', { from: replaced.index });
    const synced = await consumer!.waitSynced(['cp', 'dp2'], { from: started.index });
    expect(synced.map((e) => e.clientConfig)).toEqual(['cp', 'dp2']);
  });

  it('run again: nothing to move', async () => {
    const r = await move('--from', 'cp', '--to', 'dp1');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().summary).toBe('dp1 already runs the control plane: nothing to move');
    expect(await dataPlaneSnapshot()).toEqual(before);
  });

  it('export writes what a move needs and no Secret data', async () => {
    const r = await k8ssandra(['export', '--context', 'dp1', '--file', exportFile, '--namespace', NS, '--timeout', '1m', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().export).toMatchObject({ context: 'dp1', k8ssandraClusters: [`${NS}/${KC}`],
      secrets: [`${KC}-medusa-bucket`, `${KC}-reaper`, `${KC}-superuser`], unreplicatedSecrets: [`${KC}-medusa-bucket`] });
    const text = readFileSync(exportFile, 'utf8');
    expect(text).toMatch(/k8ssandra.io\/initial-system-replication/);
    expect(text).toMatch(/CassandraInitialized/);
    // No Secret data: not the superuser password, not any token of the registrations.
    expect(text).not.toContain(b64(SUPERUSER_PASSWORD));
    expect(text).not.toContain(SUPERUSER_PASSWORD);
    for (const cc of ['cp', 'dp2']) {
      const sec = await kubectlJson('dp1', '-n', NS, 'get', 'secret', (await kubectlJson('dp1', '-n', NS, 'get', 'clientconfig', cc)).spec.kubeConfigSecret.name);
      const token = /token: (\S+)/.exec(Buffer.from(sec.data.kubeconfig, 'base64').toString())![1]!;
      expect(text).not.toContain(token);
    }
  });

  it('dp1 lost (its API server cut): the move to cp from its export, Secrets from the data planes, one missing until --force', async () => {
    // The bucket Secret was only in the control planes: gone from cp too, it can be found nowhere.
    await kubectl('cp', '-n', NS, 'delete', 'secret', `${KC}-medusa-bucket`);
    proxy = await FaultProxy.start('dp1');
    const cut = writeKubeconfig({ proxies: { dp1: proxy } });
    await proxy.down();
    try {
      const refused = await moveVia(cut, '--from-export', exportFile, '--to', 'cp', '--timeout', '3m');
      expect(refused.exitCode, refused.stderr).toBe(3);
      expect(refused.json().checks.find((c: any) => c.id === 'MOVE-SECRETS')).toMatchObject({ status: 'fail', message: expect.stringContaining(`${KC}-medusa-bucket`) });
      const r = await moveVia(cut, '--from-export', exportFile, '--to', 'cp', '--force', '--timeout', '3m');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.json().move).toMatchObject({ from: 'dp1', to: 'cp', fromExport: true, missingSecrets: [`${KC}-medusa-bucket`] });
      for (const out of [r.stdout, r.stderr, refused.stdout, refused.stderr]) expect(out).not.toContain(b64(SUPERUSER_PASSWORD));
      expect(r.json().checks.find((c: any) => c.id === 'MOVE-LOST-DATACENTERS')).toMatchObject({ status: 'warn' });
      expect(await mode('cp')).toBe('control-plane');
      const kc = await kubectlJson('cp', '-n', NS, 'get', 'k8ssandracluster', KC);
      expect(kc.spec.cassandra.datacenters.map((d: any) => [d.metadata.name, d.k8sContext])).toEqual([['dc0', undefined], ['dc1', 'dp1'], ['dc2', 'dp2']]);
      expect(kc.metadata.annotations['k8ssandra.io/initial-system-replication']).toBe(INITIAL_REPLICATION);
      expect(Object.keys(kc.status.datacenters).sort()).toEqual(['dc0', 'dc1', 'dc2']);
      expect(kc.status.observedGeneration).toBe(kc.metadata.generation);
      expect((await kubectlJson('cp', '-n', NS, 'get', 'secret', `${KC}-superuser`)).data.password).toBe(b64(SUPERUSER_PASSWORD));
      expect(await kubectl('cp', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).toBe('clientconfig.config.k8ssandra.io/dp2');
    } finally {
      await proxy.up();
    }
  });

  it('dp1 back as a second control plane: the same move with --from switches it to data plane and removes its copies', async () => {
    expect(await mode('dp1')).toBe('control-plane');
    const r = await move('--from', 'dp1', '--to', 'cp');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().move.phase).toBe('returned');
    expect([await mode('cp'), await mode('dp1'), await mode('dp2')]).toEqual(['control-plane', 'data-plane', 'data-plane']);
    expect(await kubectl('dp1', '-n', NS, 'get', 'k8ssandracluster', '-o', 'name')).toBe('');
    const s = (await status()).json();
    expect(byId(s, 'STATUS-NO-CONTROL-PLANE')[0]).toMatchObject({ status: 'pass', message: 'cp runs the control plane' });
    expect(byId(s, 'STATUS-CONTROL-PLANE-MOVE')).toEqual([]);
    expect(byId(s, 'STATUS-DATA-PLANE-UNREGISTERED').map((c: any) => [c.context, c.status])).toEqual([['dp1', 'pass'], ['dp2', 'pass']]);
    expect(await dataPlaneSnapshot()).toEqual(before);
  });
});
