// k8ssandra uninstall of a data plane that a K8ssandraCluster still uses: refused (exit 3, DATA-PLANE-IN-USE)
// while the control plane stays, --dry-run included, unless --force; the control plane uninstalled warns
// about the K8ssandraClusters it leaves without an operator (CONTROL-PLANE-IN-USE). Checked with kubectl.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, kubectl, unlessNoSuchType } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, operatorManifests, repoRoot } from '../helpers/cli.js';

// The reports of these runs must stay valid against the shipped JSON Schema.
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(path.join(repoRoot, 'schema/report.schema.json'), 'utf8')));
const schemaErrors = (doc: unknown) => (validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

const NS = 'k8ssandra-operator';
const KC = 'in-use-e2e';
const uninstall = (...args: string[]) => k8ssandra(['uninstall', '--manifests', operatorManifests, ...args]);
const exists = async (ctx: string, ...what: string[]) => (await kubectl(ctx, ...what, '--ignore-not-found', '-o', 'name')) !== '';
const inUse = (report: any, id = 'DATA-PLANE-IN-USE') => report.checks.filter((c: any) => c.id === id);

/** dp2's install and its registration in cp are all there. */
async function dp2Installed(): Promise<boolean[]> {
  return [await exists('cp', '-n', NS, 'get', 'clientconfig', 'dp2'), await exists('cp', '-n', NS, 'get', 'secret', 'dp2-kubeconfig'),
    await exists('dp2', '-n', NS, 'get', 'deployment', 'k8ssandra-operator'), await exists('dp2', '-n', NS, 'get', 'serviceaccount', 'k8ssandra-control-plane')];
}

/** What the control-plane operator would create in dp2 for dc2 (none runs in the bed): the CassandraDatacenter, with its labels. */
const dc2InDp2 = { apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter',
  metadata: { name: 'dc2', namespace: NS, labels: { 'k8ssandra.io/cluster-name': KC, 'k8ssandra.io/cluster-namespace': NS } },
  spec: { clusterName: KC, serverType: 'cassandra', serverVersion: '4.1.5', size: 1,
    storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } };

async function cleanUp() {
  await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', KC, '--ignore-not-found').catch(unlessNoSuchType);
  await kubectl('dp2', '-n', NS, 'delete', 'cassandradatacenter', 'dc2', '--ignore-not-found').catch(unlessNoSuchType);
}

describe('k8ssandra uninstall of clusters a K8ssandraCluster uses', () => {
  beforeAll(async () => {
    await cleanUp();
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
    await apply('cp', { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: KC, namespace: NS },
      spec: { cassandra: { serverVersion: '4.1.5', datacenters: [
        { metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 1 }, { metadata: { name: 'dc2' }, k8sContext: 'dp2', size: 1 }] } } });
  });

  afterAll(cleanUp);

  it('--contexts dp2 --control-plane cp is refused (exit 3), naming the K8ssandraCluster and datacenter; nothing deleted', async () => {
    const r = await uninstall('--contexts', 'dp2', '--control-plane', 'cp', '--yes', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(3);
    const report = r.json();
    expect(report).toMatchObject({ ok: false, exitCode: 3, error: { exit: 'checksFailed' } });
    expect(schemaErrors(report)).toEqual([]);
    const [fail] = inUse(report);
    expect(fail).toMatchObject({ context: 'dp2', status: 'fail' });
    expect(fail.message).toContain(`${NS}/${KC} dc dc2`);
    expect(fail.message).toMatch(/^dp2: .*\(k8sContext dp2\).*the control plane cp fails every reconcile/);
    expect(fail.hint).toMatch(/--force/);
    expect(report.error.message).toBe(fail.message);
    expect(await dp2Installed()).toEqual([true, true, true, true]);
    expect(fail.hint).toContain(`kubectl --context cp edit k8ssandracluster -n ${NS} ${KC}`);
    // In text: the failed check with its hint, one error line and one hint line, no stack trace.
    const text = await uninstall('--contexts', 'dp2', '--control-plane', 'cp', '--yes');
    expect(text.exitCode).toBe(3);
    expect(text.stdout).toMatch(new RegExp(`^  FAIL \\[DATA-PLANE-IN-USE\\] dp2: .*${NS}/${KC} dc dc2`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^error: dp2: .*${NS}/${KC} dc dc2`, 'm'));
    expect(text.stdout).toMatch(/^hint: .*--force/m);
    expect(text.stdout + text.stderr).not.toMatch(/\n\s+at /);
  });

  it('--dry-run says the same (exit 3) and deletes nothing', async () => {
    const r = await uninstall('--contexts', 'dp2', '--control-plane', 'cp', '--dry-run', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(3);
    expect(inUse(r.json()).map((c: any) => [c.context, c.status])).toEqual([['dp2', 'fail']]);
    expect(inUse(r.json())[0].message).toContain(`${NS}/${KC} dc dc2`);
    expect(await dp2Installed()).toEqual([true, true, true, true]);
  });

  it('without --control-plane, a datacenter that dp2 runs is the evidence (exit 3); with none, a warning says the control plane was not asked', async () => {
    await apply('dp2', dc2InDp2);
    try {
      const r = await uninstall('--contexts', 'dp2', '--yes', '-o', 'json');
      expect(r.exitCode, r.stderr).toBe(3);
      expect(inUse(r.json())).toMatchObject([{ context: 'dp2', status: 'fail', message: expect.stringContaining(`${NS}/${KC} dc dc2`) }]);
      expect(await dp2Installed()).toEqual([true, true, true, true]);
    } finally {
      await kubectl('dp2', '-n', NS, 'delete', 'cassandradatacenter', 'dc2', '--ignore-not-found');
    }
    const unasked = await uninstall('--contexts', 'dp2', '--dry-run', '-o', 'json');
    expect(unasked.exitCode, unasked.stderr).toBe(0);
    expect(inUse(unasked.json())).toMatchObject([{ context: 'dp2', status: 'warn', message: expect.stringMatching(/no control plane was named/) }]);
  });

  it('the control plane uninstalled too: a warning names the K8ssandraCluster left without an operator (dry run, exit 0)', async () => {
    const r = await uninstall('--contexts', 'cp,dp1,dp2', '--dry-run', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(inUse(report)).toEqual([]);
    expect(schemaErrors(report)).toEqual([]);
    expect(inUse(report, 'CONTROL-PLANE-IN-USE')).toMatchObject([{ context: 'cp', status: 'warn', message: expect.stringContaining(`${NS}/${KC}`) }]);
  });

  it('--force uninstalls the data plane anyway, with a warning, and removes its registration', async () => {
    const r = await uninstall('--contexts', 'dp2', '--control-plane', 'cp', '--force', '--yes', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warn --force: data planes that K8ssandraClusters use are uninstalled anyway/m);
    expect(inUse(r.json())).toMatchObject([{ context: 'dp2', status: 'warn', message: expect.stringMatching(/--force: uninstalled anyway/) }]);
    expect(await dp2Installed()).toEqual([false, false, false, false]);
    expect(await exists('cp', '-n', NS, 'get', 'clientconfig', 'dp1')).toBe(true);
  });
});
