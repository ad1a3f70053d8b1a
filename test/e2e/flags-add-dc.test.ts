// add-dc's flags for finding the cluster and for a new data plane: --copy-from, --namespace,
// --control-plane, --operator-version, --skip-cert-manager, --api-server, --token-ttl, --bounded-tokens, --force and
// --no-wait. A failed dry run for each refusal, then one real run with all of them; kubectl is the judge.
// As in add-dc.test.ts, the test plays the operators: it writes the K8ssandraCluster's status itself.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, bedKubeconfig, createNamespace, kubectl, kubectlJson, uniqueName } from '../helpers/bed.js';
import { bedInstallFlags, certManagerManifests, k8ssandra, operatorManifests } from '../helpers/cli.js';
import { seededReleaseCache } from '../helpers/release-cache.js';
import { removeInstall, removeRegistration } from '../helpers/uninstalled.js';

const NS = 'k8ssandra-operator';
const KC = uniqueName('flags');
const STORAGE = { cassandraDataVolumeClaimSpec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } };
const cache = seededReleaseCache();

const k8c = () => kubectlJson('cp', '-n', NS, 'get', 'k8ssandracluster', KC);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
/** The new datacenter's flags shared by every run: dc3 into dp2, settings copied from dcb (not the first, dc1). */
const addDc = (...args: string[]) => k8ssandra(['add-dc', '--cluster', KC, '--dc', 'dc3', '--context', 'dp2', '--copy-from', 'dcb', ...args],
  { env: { K8SSANDRA_CACHE_DIR: cache } });

function dp2Server(): string {
  const kc = parse(readFileSync(bedKubeconfig(), 'utf8'));
  const cluster = kc.contexts.find((c: any) => c.name === 'dp2').context.cluster;
  return kc.clusters.find((c: any) => c.name === cluster).cluster.server as string;
}

/** dp2 bare: no operator, no registration in cp, no cert-manager. */
async function bareDp2() {
  await kubectl('dp2', 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator', '--ignore-not-found', '--wait=true');
  // The CRDs and namespace stay: dp2 needs no operator, and the datacenters other files left there are not in the way.
  await removeInstall('dp2', { keepNamespace: true, keepCrds: true, certManager: true });
  await removeRegistration('cp', 'dp2');
}

describe('add-dc flags: a new data plane with every option', { timeout: 300_000 }, () => {
  const other = dp2Server().replace('127.0.0.1', 'localhost');

  beforeAll(async () => {
    await Promise.all(['cp', 'dp1'].map((c) => kubectl(c, 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator',
      '--field-selector', `metadata.namespace!=${NS}`, '--ignore-not-found')));
    const [installed] = await Promise.all([k8ssandra(['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '-q']), bareDp2()]);
    expect(installed.exitCode, installed.stderr).toBe(0);
    // A field of the release in dp2 that another tool owns: a conflict that only --force takes over.
    await createNamespace('dp2', NS);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'manager-config', namespace: NS }, data: { 'controller_manager_config.yaml': 'edited: by hand\n' } };
    const r = await execa('kubectl', ['--kubeconfig', bedKubeconfig(), '--context', 'dp2', 'apply', '--server-side', '--field-manager', 'gitops-tool', '-f', '-'],
      { input: JSON.stringify(cm) });
    expect(r.exitCode).toBe(0);
    // dc1 in dp1 and dcb in cp (a control plane can host datacenters), with different settings, both Ready.
    await apply('cp', {
      apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: KC, namespace: NS },
      spec: { cassandra: { serverVersion: '4.1.5', storageConfig: STORAGE, datacenters: [
        { metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 3, racks: [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }], config: { jvmOptions: { heapSize: '512Mi' } } },
        { metadata: { name: 'dcb' }, k8sContext: 'cp', size: 2, racks: [{ name: 'east' }], config: { jvmOptions: { heapSize: '1Gi' } } },
      ] } },
    });
    const ready = { cassandra: { cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '', lastTransitionTime: now() }] } };
    const status = { error: 'None', conditions: [{ type: 'CassandraInitialized', status: 'True', lastTransitionTime: now() }], datacenters: { dc1: ready, dcb: ready } };
    await kubectl('cp', '-n', NS, 'patch', 'k8ssandracluster', KC, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
  }, 400_000);
  afterAll(async () => {
    await kubectl('cp', '-n', NS, 'delete', 'k8ssandracluster', KC, '--ignore-not-found');
  });

  it('each refusal, in a dry run, changes nothing: --namespace, --skip-cert-manager, --operator-version, a conflict without --force', async () => {
    const rv = (await k8c()).metadata.resourceVersion;
    const common = ['--control-plane', 'cp', ...bedInstallFlags, '--dry-run', '-o', 'json'];

    const elsewhere = await addDc('--namespace', 'not-here', ...common);
    expect(elsewhere.exitCode, elsewhere.stderr).toBe(2);
    expect(elsewhere.json().error.message).toMatch(new RegExp(`K8ssandraCluster ${KC} not found in namespace not-here`));

    const noCertManager = await addDc('--skip-cert-manager', ...common);
    expect(noCertManager.exitCode, noCertManager.stderr).toBe(3);
    expect(noCertManager.json().checks.find((c: any) => c.id === 'CERT-MANAGER' && c.context === 'dp2')).toMatchObject({ status: 'fail' });

    const version = await addDc('--operator-version', 'v1.29.1', ...common);
    expect(version.exitCode, version.stderr).toBe(2);
    expect(version.json().error.message).toMatch(/--manifests holds operator v1\.32\.5, not v1\.29\.1/);

    const conflict = await addDc(...common);
    expect(conflict.exitCode, conflict.stderr).toBe(7);
    expect(conflict.stdout + conflict.stderr).toMatch(/gitops-tool/);

    expect((await k8c()).metadata.resourceVersion).toBe(rv);
    expect(await kubectl('dp2', '-n', NS, 'get', 'deployments', '-o', 'name')).toBe('');
    expect(await kubectl('dp2', 'get', 'namespace', 'cert-manager', '--ignore-not-found', '-o', 'name')).toBe('');
  });

  it('installs and registers dp2 as asked, appends dc3 copied from dcb, and does not wait (--no-wait)', async () => {
    const r = await addDc('--namespace', NS, '--control-plane', 'cp', '--operator-version', 'v1.32.5', '--size', '1',
      '--cert-manager-manifests', certManagerManifests, '--skip-routability', '--api-server', `dp2=${other}`, '--token-ttl', '3h',
      '--bounded-tokens', '--force', '--no-wait', '--yes', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.datacenter).toMatchObject({ name: 'dc3', context: 'dp2', copiedFrom: 'dcb', size: 1, action: 'created', dataPlane: 'installed', ready: false });
    expect(report.summary).toMatch(/not waiting for it \(--no-wait\)/);
    expect(r.stderr).not.toMatch(/Wait for CassandraDatacenter/);
    // --operator-version without --manifests: the release of that version that cp's install record names (cp was
    // installed from the upstream files), so an air-gapped data plane needs no --manifests; dp2 records it too.
    expect(r.stderr).toMatch(/k8ssandra-operator v1\.32\.5 \(cass-operator v1\.30\.2\) from \S+k8ssandra-operator-v1\.32\.5 \(as recorded at install\)/);
    expect((await kubectlJson('dp2', '-n', NS, 'get', 'configmap', 'k8ssandra-install')).data).toMatchObject({ role: 'data-plane', operatorVersion: 'v1.32.5',
      operatorSource: operatorManifests });
    // --force took the ConfigMap's field over from the other manager, and said so.
    expect(r.stderr).toMatch(/--force: dp2: took over fields of ConfigMap\/k8ssandra-operator\/manager-config from gitops-tool/);
    const cm = await kubectlJson('dp2', '-n', NS, 'get', 'configmap', 'manager-config');
    expect(cm.data['controller_manager_config.yaml']).toMatch(/ControllerManagerConfig/);

    // --copy-from dcb: its racks (by name) and config, not dc1's; --size 1 from the flag.
    const dcs = (await k8c()).spec.cassandra.datacenters;
    expect(dcs.map((d: any) => d.metadata.name)).toEqual(['dc1', 'dcb', 'dc3']);
    expect(dcs[2]).toMatchObject({ k8sContext: 'dp2', size: 1, racks: [{ name: 'east' }], config: dcs[1].config });
    expect(dcs[2].config.jvmOptions.heapSize).toBe('1Gi');

    // The new data plane: operator in data-plane mode, cert-manager installed; registered with the address and lifetime asked.
    const op = await kubectlJson('dp2', '-n', NS, 'get', 'deployment', 'k8ssandra-operator');
    expect(op.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE').value).toBe('false');
    expect(await kubectl('dp2', '-n', 'cert-manager', 'get', 'deployment', 'cert-manager', '-o', 'name')).toBe('deployment.apps/cert-manager');
    const secret = await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp2-kubeconfig');
    const kc = parse(Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8'));
    expect(kc.clusters[0].cluster.server).toBe(other);
    const claims = JSON.parse(Buffer.from(kc.users[0].user.token.split('.')[1], 'base64url').toString('utf8'));
    expect(claims.exp - claims.iat).toBe(3 * 3600);
    // --bounded-tokens: a TokenRequest token (the bed grants the lifetime asked: no cap to fall back from).
    expect(report.registrations).toMatchObject([{ context: 'dp2', server: other, verified: true, credential: 'token', tokenLifetimeGrantedSeconds: 3 * 3600 }]);
    expect(report.checks.find((c: any) => c.id === 'TOKEN-LIFETIME')).toMatchObject({ status: 'pass', context: 'dp2' });
  });
});
