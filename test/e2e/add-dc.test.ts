import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAddDc, type AddDcOptions } from '../../src/flows/add-dc.js';
import { newReport } from '../../src/run/report.js';
import { createReporter } from '../../src/ui/reporter.js';
import { apply, bedKubeconfig, kubectl, kubectlJson, uniqueName, waitFor } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, repoRoot } from '../helpers/cli.js';
import { removeInstall, removeRegistration } from '../helpers/uninstalled.js';

// The bed runs no real operators: this test plays them. It writes the K8ssandraCluster status the
// control-plane operator would write, and creates the CassandraDatacenter (and its status) that the
// operator and cass-operator would create in the data plane. Webhooks are disabled in the bed, so
// the K8ssandraCluster schema is the only judge besides add-dc itself.

const NS = 'k8ssandra-operator';
const KC = uniqueName('demo');
const STORAGE = { cassandraDataVolumeClaimSpec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } };

const addDc = (...args: string[]) => k8ssandra(['add-dc', '--cluster', KC, ...bedInstallFlags, ...args]);
const k8c = () => kubectlJson('cp', '-n', NS, 'get', 'k8ssandracluster', KC);
const resourceVersion = async () => (await k8c()).metadata.resourceVersion as string;
const dcs = async () => (await k8c()).spec.cassandra.datacenters as any[];
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const readyStatus = () => ({ cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: now() }] });

/** What the control-plane operator reports once every named datacenter is Ready. */
async function markClusterReady(names: string[]) {
  const status = { error: 'None', conditions: [{ type: 'CassandraInitialized', status: 'True', lastTransitionTime: now() }],
    datacenters: Object.fromEntries(names.map((n) => [n, { cassandra: readyStatus() }])) };
  await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
}

/** Removes the operator and its registration from a data plane, so that add-dc finds it bare. */
async function removeDataPlane(ctx: string) {
  await removeInstall(ctx);
  await removeRegistration('cp', ctx);
}

/** The built CLI as a background process whose stderr (progress) the test can watch while it runs. */
function startK8ssandra(args: string[]) {
  const child = execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), '--kubeconfig', bedKubeconfig(), ...args],
    { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore', timeout: 600_000 });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  return { stderr: () => stderr, kill: (signal: 'SIGINT' | 'SIGKILL') => child.kill(signal),
    done: child.then((r) => ({ exitCode: r.exitCode ?? -1, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr), json: () => JSON.parse(String(r.stdout)) })) };
}

describe('k8ssandra add-dc on the test bed (cp and dp1 installed, dp2 bare)', () => {
  beforeAll(async () => {
    const [installed] = await Promise.all([k8ssandra(['install', '--contexts', 'cp,dp1', ...bedInstallFlags]), removeDataPlane('dp2')]);
    expect(installed.exitCode, installed.stdout + installed.stderr).toBe(0);
    await kubectl('dp1', '-n', NS, 'delete', 'cassandradatacenters', '--all', '--ignore-not-found');
    await apply('cp', {
      apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: KC, namespace: NS },
      spec: { cassandra: { serverVersion: '4.1.5', storageConfig: STORAGE, datacenters: [{
        metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 3,
        racks: [{ name: 'r1', nodeAffinityLabels: { 'topology.kubernetes.io/zone': 'zone-a' } }, { name: 'r2' }, { name: 'r3' }],
        config: { jvmOptions: { heapSize: '512Mi' } },
      }] } },
    });
  }, 400_000);
  afterAll(async () => {
    await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', KC, '--ignore-not-found');
  });

  it('refuses bad input with exit 2, changing nothing and installing nothing', async () => {
    const rv = await resourceVersion();
    const cases: [string[], RegExp][] = [
      [['--dc', 'dc2', '--context', 'dp2', '--size', '0'], /--size 0 is not a whole number of nodes of at least 1/],
      [['--dc', 'dc2', '--context', 'dp2', '--size', 'three'], /--size three/],
      [['--dc', 'DC_2', '--context', 'dp2'], /--dc "DC_2" is not a valid name/],
      [['--dc', 'dc2', '--context', 'dp9'], /context "dp9" not found in kubeconfig/],
      [['--dc', 'dc2', '--context', 'dp2', '--replication', 'ks1=three'], /--replication entry "ks1=three"/],
      [['--dc', 'dc1', '--context', 'dp2', '--control-plane', 'cp'], /datacenter dc1 already exists in K8ssandraCluster .* different settings: k8sContext dp1, not dp2/],
      [['--dc', 'dc2', '--context', 'dp2', '--control-plane', 'dp1'], /context dp1 does not run the k8ssandra-operator control plane/],
    ];
    for (const [args, message] of cases) {
      const r = await addDc(...args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^hint: /m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await addDc('--dc', 'dc2', '--context', 'dp9', '-o', 'json')).json()).toMatchObject({ ok: false, exitCode: 2, error: { exit: 'usage', hint: expect.stringMatching(/did you mean "dp\d"/) } });
    const missing = await addDc('--dc', 'dc2', '--context', 'dp2', '--control-plane', 'cp', '--cluster', `${KC}x`);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(new RegExp(`K8ssandraCluster ${KC}x not found in namespace ${NS}`));
    expect(missing.stderr).toMatch(new RegExp(`did you mean --cluster ${KC}\\?`));
    expect(await resourceVersion()).toBe(rv);
    expect(await kubectl('dp2', 'get', 'namespace', NS, '--ignore-not-found', '-o', 'name')).toBe('');
    expect(await kubectl('cp', '-n', NS, 'get', 'clientconfig', 'dp2', '--ignore-not-found', '-o', 'name')).toBe('');
  }, 300_000);

  it('refuses a cluster that is not Ready with exit 5, changing nothing', async () => {
    const rv = await resourceVersion();
    const r = await addDc('--dc', 'dc2', '--context', 'dp2', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(5);
    expect(r.json().error).toMatchObject({ exit: 'notReady', message: expect.stringMatching(/is not ready for a new datacenter: condition CassandraInitialized is not set; datacenter dc1 is not reporting status yet/) });
    expect(await resourceVersion()).toBe(rv);
    expect(await kubectl('dp2', 'get', 'namespace', NS, '--ignore-not-found', '-o', 'name')).toBe('');
  });

  it('--dry-run shows the plan, validated by the API server, and changes nothing', async () => {
    await markClusterReady(['dc1']);
    const rv = await resourceVersion();
    const r = await addDc('--dc', 'dc2', '--context', 'dp2', '--control-plane', 'cp', '--dry-run', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report).toMatchObject({ command: 'add-dc', dryRun: true, ok: true,
      datacenter: { name: 'dc2', context: 'dp2', action: 'created', dataPlane: 'installed', size: 3, copiedFrom: 'dc1' } });
    expect(report.clusters.find((c: any) => c.context === 'dp2').changes.created).toBeGreaterThan(40);
    expect(report.summary).toMatch(/would be added; the API server accepts it; nothing was changed/);
    expect(await resourceVersion()).toBe(rv);
    expect(await kubectl('dp2', 'get', 'namespace', NS, '--ignore-not-found', '-o', 'name')).toBe('');
  }, 300_000);

  it('installs and registers dp2 first, appends dc2, and waits until its CassandraDatacenter is Ready', async () => {
    const before = await dcs();
    // No --control-plane: add-dc finds cp among the kubeconfig's contexts.
    const run = startK8ssandra(['add-dc', '--cluster', KC, '--dc', 'dc2', '--context', 'dp2', '--replication', 'ks1=3,ks2=3',
      ...bedInstallFlags, '-o', 'json', '--verbose', '--timeout', '8m']);
    // add-dc appends the datacenter only once dp2 is installed and registered, then waits for it.
    await waitFor('add-dc to wait for dc2', async () => (/Wait for CassandraDatacenter dc2 in dp2/.test(run.stderr()) ? true : undefined), 480_000);
    expect(run.stderr()).toMatch(/Install the operator[\s\S]*Register data planes[\s\S]*appended dc2 to spec.cassandra.datacenters/);
    expect((await dcs()).map((d) => d.metadata.name)).toEqual(['dc1', 'dc2']);

    // Play the operator: create the CassandraDatacenter, report Updating, then Ready.
    await apply('dp2', { apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', metadata: { name: 'dc2', namespace: NS },
      spec: { clusterName: KC, serverType: 'cassandra', serverVersion: '4.1.5', size: 3, storageConfig: STORAGE } });
    const setStatus = (status: object) => kubectl('dp2', '-n', NS, 'patch', 'cassandradatacenter', 'dc2', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
    await setStatus({ cassandraOperatorProgress: 'Updating', conditions: [{ type: 'Ready', status: 'False', reason: '', message: '', lastTransitionTime: now() }] });
    await waitFor('add-dc to see dc2 Updating', async () => (/dc2: Updating \(condition Ready False\)/.test(run.stderr()) ? true : undefined), 60_000);
    await setStatus(readyStatus());

    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report).toMatchObject({ command: 'add-dc', ok: true, exitCode: 0, dryRun: false });
    expect(report.datacenter).toEqual({ cluster: KC, namespace: NS, name: 'dc2', context: 'dp2', k8sContext: 'dp2', size: 3, copiedFrom: 'dc1',
      copied: ['size', 'racks (names only)', 'config'], replication: { ks1: 3, ks2: 3 }, action: 'created', dataPlane: 'installed', ready: true, state: 'Ready' });
    expect(report.registrations).toMatchObject([{ context: 'dp2', clientConfig: 'dp2', verified: true, action: 'created' }]);
    expect(r.stderr).toMatch(/found among \d+ contexts/);
    expect(r.stderr).toMatch(/copied from dc1: size, racks \(names only\), config/);

    // kubectl, the independent client: dp2 runs the data-plane operator and cp holds its ClientConfig.
    const op = await kubectlJson('dp2', '-n', NS, 'get', 'deployment', 'k8ssandra-operator');
    expect(op.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE').value).toBe('false');
    const cc = await kubectlJson('cp', '-n', NS, 'get', 'clientconfig', 'dp2');
    expect(cc.spec).toMatchObject({ contextName: 'dp2', kubeConfigSecret: { name: 'dp2-kubeconfig' } });
    // The token minted for the control plane appears nowhere in the output, even with --verbose.
    const stored = Buffer.from((await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp2-kubeconfig')).data.kubeconfig, 'base64').toString('utf8');
    const token = /token: (\S+)/.exec(stored)![1]!;
    expect(token.length).toBeGreaterThan(20);
    expect(r.stdout + r.stderr).not.toContain(token);

    // Exactly one datacenter more, as the real schema stored it (with its defaults), and the annotation.
    const kc = await k8c();
    const after = kc.spec.cassandra.datacenters;
    expect(after).toHaveLength(before.length + 1);
    expect(after.slice(0, before.length)).toEqual(before);
    // dc1's config as stored (with the schema's defaults, e.g. jvmOptions.gc) is copied verbatim; racks by name only.
    expect(before[0].config.jvmOptions).toMatchObject({ heapSize: '512Mi' });
    expect(after.at(-1)).toEqual({ metadata: { name: 'dc2' }, k8sContext: 'dp2', size: 3, stopped: false,
      racks: [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }], config: before[0].config });
    expect(JSON.parse(kc.metadata.annotations['k8ssandra.io/dc-replication'])).toEqual({ dc2: { ks1: 3, ks2: 3 } });
  }, 600_000);

  it('a re-run changes nothing and says so; other settings for the same name are refused', async () => {
    const rv = await resourceVersion();
    const secretRv = (await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp2-kubeconfig')).metadata.resourceVersion;
    const r = await addDc('--dc', 'dc2', '--context', 'dp2', '--replication', 'ks1=3,ks2=3', '--control-plane', 'cp', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().datacenter).toMatchObject({ action: 'unchanged', dataPlane: 'registered', ready: true });
    expect(r.json().summary).toMatch(/already exists with these settings: nothing changed; it is Ready/);
    const other = await addDc('--dc', 'dc2', '--context', 'dp2', '--size', '5', '--control-plane', 'cp');
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toMatch(/datacenter dc2 already exists .* different settings: size 3, not 5/);
    expect(await resourceVersion()).toBe(rv);
    expect((await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp2-kubeconfig')).metadata.resourceVersion).toBe(secretRv);
  }, 180_000);

  it('a concurrent edit of the spec between read and patch is kept, and the datacenter still added', async () => {
    await markClusterReady(['dc1', 'dc2']);
    const attempts: number[] = [];
    const out = newReport('add-dc');
    const o: AddDcOptions = {
      kubeconfig: bedKubeconfig(), env: process.env, cluster: KC, dc: 'dc3', context: 'dp1', controlPlane: 'cp', size: '1', skipCertManager: true, skipRoutability: true,
      apiServers: {}, tokenTtlSeconds: 3600, force: false, dryRun: false, wait: false, timeoutMs: 120_000, confirm: async () => true,
      // Another client (kubectl) rewrites dc1's size after add-dc has read and validated, right before it patches.
      beforePatch: async (attempt) => {
        attempts.push(attempt);
        if (attempt === 1) await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/cassandra/datacenters/0/size', value: 4 }]));
      },
    };
    await runAddDc(o, createReporter({ quiet: true, stream: process.stderr, env: process.env }), out);
    expect(attempts).toEqual([1, 2]);
    expect(out.datacenter).toMatchObject({ name: 'dc3', action: 'created', size: 1, dataPlane: 'registered' });
    const after = await dcs();
    expect(after.map((d) => [d.metadata.name, d.k8sContext, d.size])).toEqual([['dc1', 'dp1', 4], ['dc2', 'dp2', 3], ['dc3', 'dp1', 1]]);
  }, 180_000);

  it('times out with exit 4 when the datacenter never becomes Ready', async () => {
    await markClusterReady(['dc1', 'dc2', 'dc3']);
    const r = await addDc('--dc', 'dc4', '--context', 'dp1', '--size', '1', '--control-plane', 'cp', '--timeout', '25s', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(4);
    const report = r.json();
    expect(report.error).toMatchObject({ exit: 'timeout', message: 'timed out waiting for CassandraDatacenter dc4 in dp1 to be Ready (not created yet)' });
    expect(report.datacenter).toMatchObject({ name: 'dc4', action: 'created', ready: false, state: 'not created yet' });
    expect((await dcs()).map((d) => d.metadata.name)).toEqual(['dc1', 'dc2', 'dc3', 'dc4']);
  }, 180_000);

  it('interrupted or killed at any step, a re-run converges: one datacenter, one registration', async () => {
    const names = async () => (await dcs()).map((d) => d.metadata.name);
    const registrations = async () => (await kubectl('cp', '-n', NS, 'get', 'clientconfigs,secrets', '-l', 'app.kubernetes.io/managed-by=k8ssandra-cli', '-o', 'name'))
      .split('\n').filter((l) => l.includes('dp2')).sort();
    await removeDataPlane('dp2');
    const ready = ['dc1', 'dc2', 'dc3', 'dc4'];
    await markClusterReady(ready);
    const before = await names();
    const args = ['add-dc', '--cluster', KC, '--dc', 'dc5', '--context', 'dp2', '--size', '1', '--control-plane', 'cp', ...bedInstallFlags, '-o', 'json'];
    const stopAt = async (signal: 'SIGINT' | 'SIGKILL', line: RegExp) => {
      const run = startK8ssandra(args);
      await waitFor(`add-dc to reach ${line}`, async () => (line.test(run.stderr()) ? true : undefined), 300_000);
      run.kill(signal);
      return run.done;
    };

    // Ctrl-C while dp2's operator is being installed: exit 130, the K8ssandraCluster untouched, nothing registered.
    const interrupted = await stopAt('SIGINT', /Install the operator/);
    expect(interrupted.exitCode, interrupted.stderr).toBe(130);
    expect(interrupted.json().error).toMatchObject({ exit: 'interrupted' });
    expect(await names()).toEqual(before);
    expect(await registrations()).toEqual([]);

    // Killed in the same step of the next run (the datacenter is appended only after dp2 is registered).
    const killed = await stopAt('SIGKILL', /Install the operator/);
    expect(killed.signal).toBe('SIGKILL');
    expect(await names()).toEqual(before);

    // Ctrl-C while waiting for the CassandraDatacenter: the datacenter is in the spec; exit 130.
    const waiting = await stopAt('SIGINT', /Wait for CassandraDatacenter dc5 in dp2/);
    expect(waiting.exitCode, waiting.stderr).toBe(130);
    expect(await names()).toEqual([...before, 'dc5']);

    // The plain re-run finds everything done: nothing appended twice, one ClientConfig and one Secret for dp2.
    await markClusterReady([...ready, 'dc5']);
    const rerun = await addDc('--dc', 'dc5', '--context', 'dp2', '--size', '1', '--control-plane', 'cp', '--no-wait', '-o', 'json');
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.json().datacenter).toMatchObject({ name: 'dc5', action: 'unchanged', dataPlane: 'registered' });
    expect(await names()).toEqual([...before, 'dc5']);
    expect(await registrations()).toEqual(['clientconfig.config.k8ssandra.io/dp2', 'secret/dp2-kubeconfig']);
  }, 900_000);
});
