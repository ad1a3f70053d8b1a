// Cluster scope (`--cluster-scoped`) end to end: install, re-run, register, and the least-privilege
// check of each mode (the release's ClusterRole is bound cluster-wide on purpose, so Secrets everywhere
// are intended; RBAC writes are not). A failed verification stores nothing and leaves nothing behind.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, operatorManifests } from '../helpers/cli.js';
import { removeInstall } from '../helpers/uninstalled.js';

const NS = 'k8ssandra-operator';
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const SA = 'k8ssandra-control-plane';
const OVERGRANT = 'test-overgrant-control-plane';

/** Removes every object of both variants of the release, and the control plane's access, from one cluster. */
async function removeAll(ctx: string) {
  await removeInstall(ctx);
  await kubectl(ctx, 'delete', 'clusterrolebinding', OVERGRANT, '--ignore-not-found');
}

/** A binding that gives the control plane's account in a data plane far more than either mode intends. */
const overgrant = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: OVERGRANT },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
  subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NS }] };

async function canI(ctx: string, ...args: string[]): Promise<string> {
  const secret = await kubectlJson('cp', '-n', NS, 'get', 'secret', `${ctx}-kubeconfig`);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kc-')), 'kubeconfig');
  writeFileSync(file, Buffer.from(secret.data.kubeconfig, 'base64'), { mode: 0o600 });
  const r = await execa('kubectl', ['--kubeconfig', file, '--context', ctx, 'auth', 'can-i', ...args], { reject: false });
  return r.stdout.trim();
}

const install = (...extra: string[]) => k8ssandra(['install', '--contexts', CONTEXTS.join(','), '--cluster-scoped', ...bedInstallFlags, '-o', 'json', ...extra]);

describe('install --cluster-scoped on the test bed (cp, dp1, dp2)', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    await Promise.all(CONTEXTS.map(removeAll));
  });
  afterAll(async () => {
    await Promise.all(CONTEXTS.map(removeAll));
  });

  it('a data plane whose account would get more than intended is not registered, and keeps nothing of the run', async () => {
    await apply('dp2', overgrant);
    const r = await install();
    expect(r.exitCode, r.stderr).toBe(3);
    const report = r.json();
    const failed = report.checks.filter((c: any) => c.status === 'fail');
    expect(failed).toEqual([expect.objectContaining({ id: 'REGISTRATION-VERIFIED', context: 'dp2' })]);
    expect(failed[0].message).toMatch(/more than intended for cluster-scoped mode.*create ClusterRoleBindings/);
    expect(r.stderr).toMatch(/dp2: not registered: its credentials failed verification; nothing was written in cp/);
    expect(r.stderr).not.toMatch(/ClientConfig dp2 (unchanged|created|changed)/);
    expect(report.registrations.find((g: any) => g.context === 'dp2')).toMatchObject({ verified: false, action: 'kept' });
    // Nothing stored for dp2 in cp; what the run created for it in dp2 is gone; dp1 is registered.
    expect(await kubectl('cp', '-n', NS, 'get', 'clientconfigs,secrets', '-o', 'name')).not.toMatch(/dp2/);
    expect(await kubectl('dp2', '-n', NS, 'get', 'serviceaccount', SA, '--ignore-not-found', '-o', 'name')).toBe('');
    expect(await kubectl('dp2', 'get', 'clusterrolebinding', SA, '--ignore-not-found', '-o', 'name')).toBe('');
    expect(await kubectl('cp', '-n', NS, 'get', 'clientconfig', 'dp1', '-o', 'name')).toBe('clientconfig.config.k8ssandra.io/dp1');
    await kubectl('dp2', 'delete', 'clusterrolebinding', OVERGRANT);
  });

  it('installs the cluster-scoped variant and registers every data plane with the ClusterRole bound cluster-wide', async () => {
    const r = await install();
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.registrations.map((g: any) => [g.context, g.verified])).toEqual([['dp1', true], ['dp2', true]]);
    expect(report.checks.filter((c: any) => c.id === 'REGISTRATION-VERIFIED').map((c: any) => c.status)).toEqual(['pass', 'pass']);
    // The cluster-scoped release: the operator watches every namespace (an empty value, which the API omits; no fieldRef).
    const d = await kubectlJson('cp', '-n', NS, 'get', 'deployment', 'k8ssandra-operator');
    const env = d.spec.template.spec.containers[0].env as { name: string }[];
    expect(env.find((e) => e.name === 'WATCH_NAMESPACE')).toEqual({ name: 'WATCH_NAMESPACE' });
    for (const dp of ['dp1', 'dp2']) {
      const crb = await kubectlJson(dp, 'get', 'clusterrolebinding', SA);
      expect(crb.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'k8ssandra-operator' });
      expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: SA, namespace: NS }]);
      // What the control plane's stored credentials may do, asked by kubectl: cluster-wide by intent, no RBAC.
      expect(await canI(dp, 'create', 'cassandradatacenters.cassandra.datastax.com', '-n', 'default')).toBe('yes');
      expect(await canI(dp, 'get', 'secrets', '-n', 'kube-system')).toBe('yes');
      expect(await canI(dp, 'create', 'clusterrolebindings')).toBe('no');
    }
    const record = await kubectlJson('cp', '-n', NS, 'get', 'configmap', 'k8ssandra-install');
    expect(record.data).toMatchObject({ role: 'control-plane', clusterScoped: 'true', operatorVersion: 'v1.32.5', operatorSource: operatorManifests });
  });

  it('a re-run and register change nothing', async () => {
    const again = await install();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json().summary).toMatch(/already installed as planned: nothing changed/);
    const reg = await k8ssandra(['register', '--contexts', CONTEXTS.join(','), '--cluster-scoped', '-o', 'json']);
    expect(reg.exitCode, reg.stderr).toBe(0);
    expect(reg.json().registrations.map((g: any) => g.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('register still catches more than the mode intends, and stores nothing', async () => {
    const before = (await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp1-kubeconfig')).metadata.resourceVersion;
    await apply('dp1', overgrant);
    const r = await k8ssandra(['register', '--contexts', 'cp,dp1', '--cluster-scoped', '--rotate', '-o', 'json']);
    await kubectl('dp1', 'delete', 'clusterrolebinding', OVERGRANT);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.json().checks.find((c: any) => c.id === 'REGISTRATION-VERIFIED')).toMatchObject({ status: 'fail', context: 'dp1' });
    expect((await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp1-kubeconfig')).metadata.resourceVersion).toBe(before);
    // The service account existed before this run: it stays, and the stored credentials still work.
    expect(await kubectl('dp1', '-n', NS, 'get', 'serviceaccount', SA, '-o', 'name')).toBe(`serviceaccount/${SA}`);
    expect(await canI('dp1', 'create', 'cassandradatacenters.cassandra.datastax.com', '-n', 'default')).toBe('yes');
  });

  it('uninstall --cluster-scoped removes the release and the control plane\'s access, and keeps the CRDs', async () => {
    const r = await k8ssandra(['uninstall', '--contexts', CONTEXTS.join(','), '--cluster-scoped', '--yes', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const ctx of CONTEXTS) {
      expect(await kubectl(ctx, '-n', NS, 'get', 'deployments,configmaps', '-l', 'app.kubernetes.io/managed-by=k8ssandra-cli', '-o', 'name')).toBe('');
      expect(await kubectl(ctx, 'get', 'clusterrole,clusterrolebinding', 'k8ssandra-operator', '--ignore-not-found', '-o', 'name')).toBe('');
      expect(await kubectl(ctx, 'get', 'crd', 'k8ssandraclusters.k8ssandra.io', '-o', 'name')).toBe('customresourcedefinition.apiextensions.k8s.io/k8ssandraclusters.k8ssandra.io');
    }
    for (const dp of ['dp1', 'dp2']) expect(await kubectl(dp, 'get', 'clusterrolebinding', SA, '--ignore-not-found', '-o', 'name')).toBe('');
  });
});
