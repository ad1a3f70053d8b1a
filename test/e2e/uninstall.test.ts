// k8ssandra uninstall on the test bed: only what k8ssandra created goes; CRDs, custom resources, data,
// namespaces, cert-manager and everything users made stay (CRDs only go with --delete-crds, refused
// while custom resources exist unless --force). Checked with kubectl after every run.
import { beforeAll, describe, expect, it } from 'vitest';
import { apply, kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, operatorManifests, startK8ssandraOnTerminal } from '../helpers/cli.js';

const NS = 'k8ssandra-operator';
const OURS = 'app.kubernetes.io/managed-by=k8ssandra-cli';
const uninstall = (...args: string[]) => k8ssandra(['uninstall', '--manifests', operatorManifests, ...args]);
const exists = async (ctx: string, ...what: string[]) => (await kubectl(ctx, ...what, '--ignore-not-found', '-o', 'name')) !== '';

/** Every object of the release that k8ssandra deletes, as kubectl names it (namespace and CRDs excepted). */
const RELEASE = [
  ['deployment', 'k8ssandra-operator'], ['deployment', 'cass-operator-controller-manager'], ['service', 'k8ssandra-operator-webhook-service'],
  ['configmap', 'manager-config'], ['secret', 'k8ssandra-operator-token'], ['role', 'k8ssandra-operator'], ['rolebinding', 'leader-election-rolebinding'],
  ['serviceaccount', 'k8ssandra-operator'], ['issuer.cert-manager.io', 'k8ssandra-operator-selfsigned-issuer'], ['certificate.cert-manager.io', 'k8ssandra-operator-serving-cert'],
];
const CLUSTER_WIDE = [['clusterrole', 'cass-operator-manager-role'], ['clusterrolebinding', 'cass-operator-manager-res-rolebinding'],
  ['validatingwebhookconfiguration', 'k8ssandra-operator-validating-webhook-configuration'], ['mutatingwebhookconfiguration', 'cass-operator-mutating-webhook-configuration']];

async function releasePresent(ctx: string): Promise<boolean[]> {
  return Promise.all([...RELEASE.map(([k, n]) => exists(ctx, '-n', NS, 'get', k!, n!)), ...CLUSTER_WIDE.map(([k, n]) => exists(ctx, 'get', k!, n!))]);
}

describe('k8ssandra uninstall', () => {
  beforeAll(async () => {
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    // What users made: a K8ssandraCluster and a ConfigMap in the operator's namespace, a ClusterRole, a Secret in dp1.
    await apply('cp',
      { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: 'demo', namespace: NS },
        spec: { cassandra: { serverVersion: '4.1.5', datacenters: [{ metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 1 }] } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'user-settings', namespace: NS }, data: { a: 'b' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'k8ssandra-user-reader' },
        rules: [{ apiGroups: ['k8ssandra.io'], resources: ['k8ssandraclusters'], verbs: ['get'] }] });
    await apply('dp1', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'user-secret', namespace: NS }, stringData: { a: 'b' } });
  });

  it('without a terminal, it needs --yes (exit 2) and deletes nothing', async () => {
    const r = await uninstall('--contexts', 'cp,dp1');
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/this command deletes objects and needs confirmation: pass --yes/);
    expect(await releasePresent('cp')).not.toContain(false);
  });

  it('on a terminal it asks first, "no" by default: answered no, it deletes nothing (exit 130)', async () => {
    const p = startK8ssandraOnTerminal(['uninstall', '--manifests', operatorManifests, '--contexts', 'dp2']);
    await p.waitForOutput(/Delete \d+ object\(s\) from dp2\? \(CRDs, custom resources and data are kept\) \(y\/N\)/);
    p.type('\r');
    const r = await p.result;
    expect(r.exitCode, r.output).toBe(130);
    expect(r.output).toMatch(/error: uninstall cancelled/);
    expect(await releasePresent('dp2')).not.toContain(false);
  });

  it('--dry-run says what would go and what stays, and deletes nothing', async () => {
    const r = await uninstall('--contexts', 'cp,dp1,dp2', '--dry-run', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report).toMatchObject({ command: 'uninstall', dryRun: true, ok: true });
    const cp = report.clusters.find((c: any) => c.context === 'cp');
    expect(cp.role).toBe('control-plane');
    const action = (ref: string) => cp.objects.find((o: any) => o.ref === ref)?.action;
    expect(action('Deployment/k8ssandra-operator/k8ssandra-operator')).toBe('deleted');
    expect(action('ClientConfig/k8ssandra-operator/dp1')).toBe('deleted');
    expect(action('Secret/k8ssandra-operator/dp2-kubeconfig')).toBe('deleted');
    expect(action('CustomResourceDefinition/k8ssandraclusters.k8ssandra.io')).toBe('kept');
    expect(action('Namespace/k8ssandra-operator')).toBe('kept');
    expect(cp.objects.some((o: any) => /user-settings|k8ssandra-user-reader/.test(o.ref))).toBe(false);
    expect(report.registrations.map((g: any) => [g.context, g.action])).toEqual([['dp1', 'deleted'], ['dp2', 'deleted']]);
    expect(report.summary).toMatch(/^dry run: would delete \d+ object\(s\)/);
    for (const ctx of ['cp', 'dp1', 'dp2']) expect(await releasePresent(ctx), ctx).not.toContain(false);
    expect(await kubectl('cp', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).toMatch(/dp1[\s\S]*dp2/);
    const text = await uninstall('--contexts', 'cp', '--dry-run');
    expect(text.stdout).toMatch(/WOULD DELETE/);
    expect(text.stdout).toMatch(/kept \d+: CRDs and custom resources are kept \(--delete-crds deletes them\)/);
  });

  it('--delete-crds is refused while a custom resource exists (exit 3), deleting nothing', async () => {
    const r = await uninstall('--contexts', 'cp,dp1', '--delete-crds', '--yes', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(3);
    const fail = r.json().checks.find((c: any) => c.id === 'CUSTOM-RESOURCES' && c.status === 'fail');
    expect(fail).toMatchObject({ context: 'cp' });
    expect(fail.message).toMatch(/K8ssandraCluster k8ssandra-operator\/demo/);
    expect(fail.hint).toMatch(/--force/);
    expect(await releasePresent('cp')).not.toContain(false);
    expect(await exists('cp', 'get', 'crd', 'k8ssandraclusters.k8ssandra.io')).toBe(true);
  });

  it('one data plane, and its registration in a control plane that stays', async () => {
    const r = await uninstall('--contexts', 'dp2', '--control-plane', 'cp', '--yes', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await releasePresent('dp2')).not.toContain(true);
    expect(await exists('dp2', '-n', NS, 'get', 'serviceaccount', 'k8ssandra-control-plane')).toBe(false);
    expect(await kubectl('cp', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).toBe('clientconfig.config.k8ssandra.io/dp1');
    expect(await kubectl('cp', '-n', NS, 'get', 'secrets', '-l', OURS, '-o', 'name')).toBe('secret/dp1-kubeconfig');
    expect(await releasePresent('cp')).not.toContain(false); // the control plane's operator stays
    expect(await exists('dp2', 'get', 'crd', 'cassandradatacenters.cassandra.datastax.com')).toBe(true);
  });

  it('removes the operator and registrations; keeps CRDs, custom resources, namespaces, cert-manager and what users made', async () => {
    const stored = (await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp1-kubeconfig')).data.kubeconfig as string;
    const token = /token: (\S+)/.exec(Buffer.from(stored, 'base64').toString('utf8'))![1]!;
    const r = await uninstall('--contexts', 'cp,dp1', '--yes', '-o', 'json', '--verbose');
    expect(r.exitCode, r.stderr).toBe(0);
    // It read the registration's Secret to delete it, and printed none of it.
    for (const secret of [stored, token]) expect((r.stdout + r.stderr).includes(secret)).toBe(false);
    const report = r.json();
    expect(report.ok).toBe(true);
    expect(report.summary).toMatch(/^uninstalled: \d+ object\(s\) deleted, \d+ kept/);
    for (const ctx of ['cp', 'dp1']) {
      expect(await releasePresent(ctx), ctx).not.toContain(true);
      expect(await exists(ctx, 'get', 'namespace', NS), ctx).toBe(true);
      expect(await exists(ctx, 'get', 'crd', 'k8ssandraclusters.k8ssandra.io'), ctx).toBe(true);
      expect(await exists(ctx, '-n', 'cert-manager', 'get', 'deployment', 'cert-manager'), ctx).toBe(true);
    }
    expect(await kubectl('cp', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).toBe('');
    expect(await kubectl('cp', '-n', NS, 'get', 'secrets', '-l', OURS, '-o', 'name')).toBe('');
    expect(await exists('dp1', '-n', NS, 'get', 'rolebinding', 'k8ssandra-control-plane')).toBe(false);
    expect(await exists('cp', '-n', NS, 'get', 'k8ssandracluster', 'demo')).toBe(true);
    expect(await exists('cp', '-n', NS, 'get', 'configmap', 'user-settings')).toBe(true);
    expect(await exists('cp', 'get', 'clusterrole', 'k8ssandra-user-reader')).toBe(true);
    expect(await exists('dp1', '-n', NS, 'get', 'secret', 'user-secret')).toBe(true);
  });

  it('a second uninstall finds nothing to do', async () => {
    const r = await uninstall('--contexts', 'cp,dp1', '--yes', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().summary).toMatch(/^nothing to uninstall/);
  });

  it('--delete-crds --force deletes the CRDs and the custom resources with them, warning first', async () => {
    const r = await uninstall('--contexts', 'cp,dp1', '--delete-crds', '--force', '--yes', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warn --force: CRDs are deleted even where custom resources exist/m);
    expect(r.json().checks.find((c: any) => c.id === 'CUSTOM-RESOURCES' && c.context === 'cp')).toMatchObject({ status: 'warn' });
    for (const ctx of ['cp', 'dp1']) {
      expect(await exists(ctx, 'get', 'crd', 'k8ssandraclusters.k8ssandra.io'), ctx).toBe(false);
      expect(await exists(ctx, 'get', 'crd', 'certificates.cert-manager.io'), ctx).toBe(true);
    }
    // A CRD that a user (not k8ssandra) made would have been kept: checked by the rule in test/unit/faults.test.ts.
    const crds = await kubectlJson('cp', 'get', 'crd');
    expect(crds.items.filter((c: any) => /k8ssandra\.io$|cassandra\.datastax\.com$/.test(c.spec.group))).toEqual([]);
  });
});
