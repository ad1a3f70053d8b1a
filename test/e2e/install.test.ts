import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { apply, bedKubeconfig, kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra } from '../helpers/cli.js';
import { removeInstall } from '../helpers/uninstalled.js';

const NS = 'k8ssandra-operator';
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const install = (...extra: string[]) => k8ssandra(['install', '--contexts', CONTEXTS.join(','), ...bedInstallFlags, ...extra]);

/** Decodes the kubeconfig the CLI stored for a data plane, as the control-plane operator would read it. */
async function storedKubeconfig(dp: string): Promise<string> {
  const secret = await kubectlJson('cp', '-n', NS, 'get', 'secret', `${dp}-kubeconfig`);
  return Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8');
}

async function canI(kubeconfig: string, context: string, ...args: string[]): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-'));
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, kubeconfig, { mode: 0o600 });
  const r = await execa('kubectl', ['--kubeconfig', file, '--context', context, 'auth', 'can-i', ...args], { reject: false });
  return r.stdout.trim();
}

describe('k8ssandra install on the test bed (cp, dp1, dp2)', () => {
  beforeAll(async () => {
    // Starts from clusters without the operator (cert-manager stays).
    await Promise.all(CONTEXTS.map((c) => removeInstall(c)));
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const r = await install('--dry-run', '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.dryRun).toBe(true);
    expect(report.clusters.map((c: any) => [c.context, c.role])).toEqual([['cp', 'control-plane'], ['dp1', 'data-plane'], ['dp2', 'data-plane']]);
    expect(report.clusters.every((c: any) => c.changes.created > 45)).toBe(true);
    expect(await kubectl('cp', 'get', 'namespace', NS, '--ignore-not-found', '-o', 'name')).toBe('');
    expect(await kubectl('cp', 'get', 'crd', 'clientconfigs.config.k8ssandra.io', '--ignore-not-found', '-o', 'name')).toBe('');
  });

  it('installs the control plane into cp and data planes into dp1 and dp2, and registers them', async () => {
    const r = await install('-o', 'json', '--verbose', '--timeout', '3m');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    expect(report).toMatchObject({ schemaVersion: 'k8ssandra.io/report/v1', command: 'install', ok: true, exitCode: 0 });
    for (const c of report.clusters) {
      expect(c).toMatchObject({ operatorVersion: 'v1.32.5', ready: true });
      expect(c.changes.created).toBeGreaterThan(40);
    }
    expect(report.registrations.map((g: any) => [g.context, g.clientConfig, g.verified])).toEqual([['dp1', 'dp1', true], ['dp2', 'dp2', true]]);
    for (const c of report.checks) expect(['pass', 'warn', 'fail']).toContain(c.status);

    // kubectl, an independent client, sees the operator in the right mode in every cluster.
    for (const ctx of CONTEXTS) {
      const d = await kubectlJson(ctx, '-n', NS, 'get', 'deployment', 'k8ssandra-operator', '--show-managed-fields');
      const env = d.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE');
      expect(env.value, ctx).toBe(ctx === 'cp' ? 'true' : 'false');
      expect(d.status.availableReplicas, ctx).toBe(1);
      const crd = await kubectlJson(ctx, 'get', 'crd', 'k8ssandraclusters.k8ssandra.io');
      expect(crd.status.conditions.find((c: any) => c.type === 'Established').status).toBe('True');
      // The CRD schema kept its x-kubernetes-* extensions (raw server-side apply, nothing dropped).
      expect(JSON.stringify(crd.spec)).toContain('x-kubernetes-preserve-unknown-fields');
      const managers = d.metadata.managedFields.map((m: any) => m.manager);
      expect(managers).toContain('k8ssandra-cli');
    }

    // cp holds a ClientConfig and a Secret per data plane; only cp does.
    const ccs = await kubectlJson('cp', '-n', NS, 'get', 'clientconfigs');
    expect(ccs.items.map((c: any) => [c.metadata.name, c.spec.contextName, c.spec.kubeConfigSecret.name]).sort())
      .toEqual([['dp1', 'dp1', 'dp1-kubeconfig'], ['dp2', 'dp2', 'dp2-kubeconfig']]);
    expect((await kubectlJson('dp1', '-n', NS, 'get', 'clientconfigs')).items).toEqual([]);

    // Each stored kubeconfig authenticates to its data plane with exactly the intended permissions.
    for (const dp of ['dp1', 'dp2']) {
      const kc = await storedKubeconfig(dp);
      expect(parse(kc)['current-context']).toBe(dp);
      expect(await canI(kc, dp, 'create', 'cassandradatacenters.cassandra.datastax.com', '-n', NS)).toBe('yes');
      expect(await canI(kc, dp, 'create', 'secrets', '-n', NS)).toBe('yes');
      expect(await canI(kc, dp, 'get', 'secrets', '-n', 'kube-system')).toBe('no');
      expect(await canI(kc, dp, 'create', 'deployments', '-n', 'default')).toBe('no');
      expect(await canI(kc, dp, 'create', 'clusterrolebindings')).toBe('no');
      // No secret reaches the output, even with --verbose.
      const token = parse(kc).users[0].user.token as string;
      expect(token.length).toBeGreaterThan(20);
      expect(r.stdout + r.stderr).not.toContain(token);
    }
  });

  it('a second run changes nothing and says so', async () => {
    const r = await install('-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    for (const c of report.clusters) expect(c.changes, c.context).toMatchObject({ created: 0, changed: 0 });
    expect(report.registrations.every((g: any) => g.action === 'unchanged' && g.verified)).toBe(true);
    expect(report.summary).toMatch(/nothing changed/);
    const text = await install();
    expect(text.stdout).toMatch(/already installed as planned: nothing changed/);
    // Nothing is written either: no apply is sent, not even for objects that controllers fill in after
    // us (the release's token Secret, whose data the token controller writes).
    const verbose = await install('-v');
    expect(verbose.exitCode, verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(/: GET \/version -> 200/);
    // Only the run lock is written: a Lease taken, renewed and given back in each cluster.
    expect(verbose.stderr.split('\n').filter((l) => /: (PATCH|PUT|DELETE) /.test(l) && !/\/leases(\/k8ssandra-cli-lock)?[ ?]/.test(l))).toEqual([]);
    expect(verbose.stderr.split('\n').filter((l) => /: DELETE .*\/leases\/k8ssandra-cli-lock /.test(l))).toHaveLength(3);
  });

  it('completes a cert-manager of its own that an interrupted run left half-installed', async () => {
    // What a kill during cert-manager's apply leaves: its CRDs in, a Deployment not yet.
    await kubectl('dp2', '-n', 'cert-manager', 'delete', 'deployment', 'cert-manager', '--wait=true');
    const r = await install('-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().clusters.find((c: any) => c.context === 'dp2').objects.find((o: any) => o.ref === 'Deployment/cert-manager/cert-manager'))
      .toMatchObject({ action: 'created' });
    expect(await kubectl('dp2', '-n', 'cert-manager', 'get', 'deployment', 'cert-manager', '-o', 'name')).toBe('deployment.apps/cert-manager');
  });

  it('repairs a registration whose credentials no longer work', async () => {
    const kc = parse(await storedKubeconfig('dp1'));
    kc.users[0].user.token = 'revoked.invalid.token';
    const broken = Buffer.from(stringify(kc)).toString('base64');
    await kubectl('cp', '-n', NS, 'patch', 'secret', 'dp1-kubeconfig', '-p', JSON.stringify({ data: { kubeconfig: broken } }));
    // Another field manager (kubectl-patch) now owns the field: no silent takeover without --force.
    const refused = await install('-o', 'json');
    expect(refused.exitCode).toBe(7);
    expect(refused.json().error.message).toMatch(/conflict/);
    expect(refused.json().error.hint).toMatch(/--force/);
    const r = await install('-o', 'json', '--force');
    expect(r.exitCode, r.stderr).toBe(0);
    const reg = r.json().registrations.find((g: any) => g.context === 'dp1');
    expect(reg).toMatchObject({ action: 'changed', verified: true });
    expect(await canI(await storedKubeconfig('dp1'), 'dp1', 'list', 'cassandradatacenters.cassandra.datastax.com', '-n', NS)).toBe('yes');
  });

  it('refuses a second control plane', async () => {
    const r = await k8ssandra(['install', '--contexts', 'dp1,cp', ...bedInstallFlags, '-o', 'json']);
    expect(r.exitCode).toBe(3);
    const fail = r.json().checks.filter((c: any) => c.status === 'fail');
    expect(fail.map((c: any) => c.id)).toContain('OPERATOR-EXISTING');
    expect(fail.find((c: any) => c.context === 'cp').hint).toMatch(/second control plane is refused/);
    // nothing changed in cp: it is still the control plane
    const d = await kubectlJson('cp', '-n', NS, 'get', 'deployment', 'k8ssandra-operator');
    expect(d.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE').value).toBe('true');
  });
});

describe('bad input to install', () => {
  const bed = () => parse(readFileSync(bedKubeconfig(), 'utf8'));
  const writeKubeconfig = (doc: unknown) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kc-')), 'config');
    writeFileSync(file, stringify(doc), { mode: 0o600 });
    return file;
  };

  it('an unknown context: exit 2, one line naming the nearest context', async () => {
    const r = await k8ssandra(['install', '--contexts', 'cp,dp3x', ...bedInstallFlags]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: context "dp3x" not found in kubeconfig$/m);
    expect(r.stderr).toMatch(/hint: did you mean "dp1"\?|hint: did you mean "dp2"\?/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an empty kubeconfig and a missing kubeconfig file: exit 2', async () => {
    const empty = writeKubeconfig({});
    const r1 = await k8ssandra(['install', '--contexts', 'cp', ...bedInstallFlags], { kubeconfig: empty });
    expect(r1.exitCode).toBe(2);
    expect(r1.stderr).toMatch(/no contexts in kubeconfig/);
    const r2 = await k8ssandra(['install', '--contexts', 'cp', ...bedInstallFlags], { kubeconfig: '/nonexistent/kubeconfig' });
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/kubeconfig file \/nonexistent\/kubeconfig does not exist/);
  });

  it('an unreachable server: exit 6 with the failing context named', async () => {
    const doc = bed();
    doc.clusters.find((c: any) => c.name === doc.contexts.find((x: any) => x.name === 'dp2').context.cluster).cluster.server = 'https://127.0.0.1:1';
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '-o', 'json'], { kubeconfig: writeKubeconfig(doc) });
    expect(r.exitCode).toBe(6);
    const fail = r.json().checks.find((c: any) => c.status === 'fail');
    expect(fail).toMatchObject({ id: 'K8S-REACHABLE', context: 'dp2' });
    expect(fail.message).toMatch(/connection refused/);
  });

  it('the same cluster under two contexts: exit 3', async () => {
    const doc = bed();
    const cp = doc.contexts.find((x: any) => x.name === 'cp');
    doc.contexts.push({ name: 'cp-again', context: { ...cp.context } });
    const r = await k8ssandra(['install', '--contexts', 'cp,cp-again', ...bedInstallFlags, '-o', 'json'], { kubeconfig: writeKubeconfig(doc) });
    expect(r.exitCode).toBe(3);
    expect(r.json().checks.find((c: any) => c.id === 'K8S-SAME-CLUSTER')).toMatchObject({ status: 'fail', message: 'contexts cp and cp-again point at the same cluster' });
  });

  it('a user RBAC forbids: exit 3 with the missing permissions, nothing written', async () => {
    const ns = 'default';
    await apply('dp2', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'powerless', namespace: ns } });
    const token = (await kubectl('dp2', '-n', ns, 'create', 'token', 'powerless', '--duration=10m')).trim();
    const doc = bed();
    doc.users.push({ name: 'powerless', user: { token } });
    const dp2 = doc.contexts.find((x: any) => x.name === 'dp2');
    doc.contexts.push({ name: 'dp2-powerless', context: { cluster: dp2.context.cluster, user: 'powerless' } });
    const r = await k8ssandra(['install', '--contexts', 'dp2-powerless', ...bedInstallFlags, '-o', 'json', '-v'], { kubeconfig: writeKubeconfig(doc) });
    expect(r.exitCode).toBe(3);
    const fail = r.json().checks.find((c: any) => c.id === 'K8S-PERMISSIONS');
    expect(fail.status).toBe('fail');
    expect(fail.message).toMatch(/not allowed to create customresourcedefinitions/);
    expect(r.stdout + r.stderr).not.toContain(token);
  });
});
