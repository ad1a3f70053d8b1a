// Bad input, each with a one-line error, a hint, a documented exit code and no change to any cluster.
// Runs go through fault proxies in front of cp and dp1, whose logs prove what reached the clusters.
// (Unknown contexts, an empty or missing kubeconfig, an unreachable server, the same cluster twice, a
// forbidden user at install and a second control plane are in install.test.ts.)
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apply, kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, certManagerManifests, k8ssandra, operatorManifests, type CliRun } from '../helpers/cli.js';
import { bedServer, FaultProxy, writeKubeconfig } from '../helpers/fault-proxy.js';

const NS = 'k8ssandra-operator';
let cpProxy: FaultProxy;
let dpProxy: FaultProxy;
let proxied: string;
const printed: string[] = [];
const secrets: string[] = [];

async function run(args: string[], kubeconfig = proxied): Promise<CliRun> {
  const r = await k8ssandra(args, { kubeconfig });
  printed.push(r.stdout, r.stderr);
  return r;
}

/** One line of error and one of hint on stderr, no stack trace. */
function expectOneLineError(r: CliRun, exit: number, message: RegExp, hint: RegExp) {
  expect(r.exitCode, r.stdout + r.stderr).toBe(exit);
  expect(r.stderr).toMatch(new RegExp(`^error: .*${message.source}.*$`, 'm'));
  expect(r.stderr).toMatch(new RegExp(`^hint: .*${hint.source}`, 'm'));
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/** The error of a JSON report, with its check failures. */
function expectReportError(r: CliRun, exit: number, message: RegExp) {
  expect(r.exitCode, r.stdout + r.stderr).toBe(exit);
  const report = r.json();
  expect(report.ok).toBe(false);
  expect(report.error.message).toMatch(message);
  expect(report.error.message).not.toContain('\n');
  expect(report.error.hint).toBeTruthy();
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return report;
}

const nothingWritten = () => expect([...cpProxy.writes(), ...dpProxy.writes()]).toEqual([]);
const nothingSent = () => expect([...cpProxy.log, ...dpProxy.log]).toEqual([]);
const installCpDp1 = (...extra: string[]) => ['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--api-server', `dp1=${bedServer('dp1')}`, ...extra];

/** A kubeconfig with one more context `name` on the proxied cluster of `base`, for the user `user`. */
function withUser(base: 'cp' | 'dp1', name: string, user: Record<string, unknown>): string {
  return writeKubeconfig({ proxies: { cp: cpProxy, dp1: dpProxy }, edit: (doc) => {
    const ctx = doc.contexts.find((c: any) => c.name === base).context;
    doc.users.push({ name, user });
    doc.contexts.push({ name, context: { cluster: ctx.cluster, user: name } });
  } });
}

function script(body: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'exec-')), 'plugin.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('bad input: a one-line error, a hint, a documented exit code, and no change to any cluster', () => {
  beforeAll(async () => {
    [cpProxy, dpProxy] = await Promise.all([FaultProxy.start('cp'), FaultProxy.start('dp1')]);
    proxied = writeKubeconfig({ proxies: { cp: cpProxy, dp1: dpProxy } });
    // The operator runs in cp (control plane) and dp1 (registered data plane).
    const r = await run(installCpDp1('-o', 'json'));
    expect(r.exitCode, r.stderr).toBe(0);
  });
  beforeEach(() => { cpProxy.reset(); dpProxy.reset(); });
  afterAll(async () => {
    await Promise.all([cpProxy?.close(), dpProxy?.close()]);
    await kubectl('cp', 'delete', 'clusterrolebinding', 'bad-input-exec-admin', '--ignore-not-found');
  });

  describe('usage errors (exit 2), found before any request', () => {
    const cases: [string, string[], RegExp, RegExp][] = [
      ['an invalid --namespace', ['install', '--contexts', 'cp,dp1', '--namespace', 'Bad_NS', ...bedInstallFlags], /--namespace Bad_NS is not a valid namespace name/, /lower-case/],
      ['a --namespace longer than 63', ['register', '--contexts', 'cp,dp1', '--namespace', 'n'.repeat(64)], /is not a valid namespace name/, /at most 63/],
      ['a --timeout that is not a duration', ['install', '--contexts', 'cp,dp1', '--timeout', 'ten', ...bedInstallFlags], /--timeout ten is not a duration/, /90s, 10m/],
      ['a zero --timeout', ['uninstall', '--contexts', 'dp1', '--timeout', '0s', '--yes'], /--timeout 0s is not a duration/, /10m/],
      ['a --request-timeout that is not a duration', ['--request-timeout', 'x', 'register', '--contexts', 'cp,dp1'], /--request-timeout x is not a duration/, /10m/],
      ['a --token-ttl under 10 minutes', ['install', '--contexts', 'cp,dp1', '--token-ttl', '60s', ...bedInstallFlags], /--token-ttl 60s is shorter than 10m/, /720h/],
      ['an --api-server that is not CONTEXT=URL', ['register', '--contexts', 'cp,dp1', '--api-server', 'dp1'], /--api-server dp1 is not CONTEXT=URL/, /dp1=https/],
      ['a context named twice', ['install', '--contexts', 'cp,dp1,cp', ...bedInstallFlags], /context cp is named twice/, /once/],
      ['an empty context in the list', ['register', '--contexts', 'cp,,dp1'], /--contexts has an empty entry/, /a,b,c/],
      ['a --control-plane that is not one of --contexts', ['install', '--contexts', 'dp1', '--control-plane', 'cp', ...bedInstallFlags], /--control-plane cp is not one of --contexts/, /--contexts cp,dp1/],
      ['register with no data plane', ['register', '--contexts', 'cp'], /register needs a control plane and at least one data plane/, /--contexts cp,/],
      ['manifests that are not the operator release', ['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--manifests', certManagerManifests], /is not a k8ssandra-operator release/, /rendered k8ssandra-operator release/],
      ['manifests of another version than --operator-version', ['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--operator-version', 'v1.31.0'], /--manifests holds operator v1.32.5, not v1.31.0/, /drop --operator-version/],
      ['a --manifests path that does not exist', ['uninstall', '--contexts', 'dp1', '--manifests', '/nonexistent/release', '--yes'], /--manifests \/nonexistent\/release does not exist/, /rendered release/],
    ];
    for (const [what, args, message, hint] of cases) {
      it(what, async () => {
        const r = await run(args);
        expectOneLineError(r, 2, message, hint);
        nothingWritten();
        if (!args.includes('--manifests') && !args.includes('--operator-version') && !/register needs/.test(message.source)) nothingSent();
      });
    }

    it('an unknown option or command: commander says so in one line', async () => {
      const r = await run(['install', '--contexts', 'cp', '--bogus']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual(["error: unknown option '--bogus'"]);
      const c = await run(['instal']);
      expect(c.exitCode).toBe(2);
      expect(c.stderr).toMatch(/unknown command 'instal'\n\(Did you mean install\?\)/);
    });
  });

  describe('kubeconfig problems (exit 2)', () => {
    it('a kubeconfig that is not valid YAML', async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'kc-')), 'config');
      writeFileSync(file, 'apiVersion: v1\nclusters: [\n  - name: x\n');
      expectOneLineError(await run(['install', '--contexts', 'cp', ...bedInstallFlags], file), 2, /is not valid YAML/, /fix the file/);
    });

    it('a kubeconfig that is a list, not a mapping', async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'kc-')), 'config');
      writeFileSync(file, '- a\n- b\n');
      expectOneLineError(await run(['register', '--contexts', 'cp,dp1'], file), 2, /is not a kubeconfig \(expected a mapping\)/, /check the file/);
    });

    it('files the kubeconfig refers to that do not exist', async () => {
      const kc = writeKubeconfig({ proxies: { cp: cpProxy, dp1: dpProxy }, edit: (doc) => {
        const u = doc.users.find((x: any) => x.name === doc.contexts.find((c: any) => c.name === 'dp1').context.user).user;
        delete u['client-key-data'];
        u['client-key'] = 'keys/missing.pem';
      } });
      const r = await run(['install', '--contexts', 'cp,dp1', ...bedInstallFlags], kc);
      expectOneLineError(r, 2, /context dp1: client-key file \/.*\/keys\/missing\.pem does not exist/, /fix the path in the kubeconfig/);
      nothingSent();
    });

    it('a context whose cluster or user is missing', async () => {
      const kc = writeKubeconfig({ edit: (doc) => { doc.contexts.push({ name: 'orphan', context: { cluster: 'nowhere', user: 'nobody' } }); } });
      expectOneLineError(await run(['register', '--contexts', 'cp,orphan'], kc), 2, /context orphan refers to cluster "nowhere", which is not in the kubeconfig/, /add the cluster/);
    });
  });

  describe('credentials', () => {
    it('an exec credential plugin that fails: exit 6 with its message, nothing sent', async () => {
      const plugin = script('echo "token expired: run corp-login first" >&2\nexit 1');
      const kc = withUser('cp', 'cp-exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } });
      const r = await run(['install', '--contexts', 'cp-exec', ...bedInstallFlags, '-o', 'json'], kc);
      const report = expectReportError(r, 6, /cannot use context cp-exec: credentials for context cp-exec could not be obtained: token expired: run corp-login first/);
      expect(report.checks.find((c: any) => c.id === 'K8S-REACHABLE')).toMatchObject({ status: 'fail', context: 'cp-exec' });
      nothingSent();
    });

    it('an exec credential plugin that works: exec plugins are supported', async () => {
      await apply('cp', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bad-input-exec-admin', namespace: 'default' } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'bad-input-exec-admin' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'bad-input-exec-admin', namespace: 'default' }] });
      const token = (await kubectl('cp', '-n', 'default', 'create', 'token', 'bad-input-exec-admin', '--duration=10m')).trim();
      secrets.push(token);
      const expires = new Date(Date.now() + 600_000).toISOString();
      const plugin = script(`cat <<'JSON'\n${JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential',
        status: { token, expirationTimestamp: expires } })}\nJSON`);
      const kc = withUser('cp', 'cp-exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } });
      const r = await run(['install', '--contexts', 'cp-exec', ...bedInstallFlags, '--dry-run', '-o', 'json', '-v'], kc);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.json().checks.find((c: any) => c.id === 'K8S-PERMISSIONS')).toMatchObject({ status: 'pass', context: 'cp-exec' });
      expect(cpProxy.log.length).toBeGreaterThan(10);
      nothingWritten();
    });

    it('expired or invalid credentials (401): exit 6, saying so', async () => {
      const expired = ['eyJhbGciOiJSUzI1NiJ9', Buffer.from(JSON.stringify({ iss: 'x', exp: 1_600_000_000 })).toString('base64url'), 'c2lnbmF0dXJl'].join('.');
      secrets.push(expired);
      const kc = withUser('dp1', 'dp1-expired', { token: expired });
      const r = await run(['install', '--contexts', 'cp,dp1-expired', ...bedInstallFlags, '-o', 'json'], kc);
      const report = expectReportError(r, 6, /cannot use context dp1-expired: credentials rejected \(401 Unauthorized\)/);
      expect(report.checks.find((c: any) => c.status === 'fail').hint).toMatch(/credentials are current/);
      nothingWritten();
    });

    it('a user RBAC forbids: uninstall exits 3 and deletes nothing', async () => {
      await apply('dp1', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'powerless', namespace: 'default' } });
      const token = (await kubectl('dp1', '-n', 'default', 'create', 'token', 'powerless', '--duration=10m')).trim();
      secrets.push(token);
      const kc = withUser('dp1', 'dp1-powerless', { token });
      const r = await run(['uninstall', '--contexts', 'dp1-powerless', '--manifests', operatorManifests, '--yes', '-o', 'json'], kc);
      const report = expectReportError(r, 3, /context dp1-powerless: forbidden: .*cannot list resource "deployments"/);
      expect(report.error.hint).toMatch(/RBAC/);
      nothingWritten();
    });
  });

  describe('clusters that do not fit (exit 3), nothing written', () => {
    it('an unsupported Kubernetes version', async () => {
      dpProxy.add({ method: 'GET', path: /^\/version/, fault: { respond: async () => ({ status: 200, body: { major: '1', minor: '22', gitVersion: 'v1.22.17' } }) } });
      const r = await run([...installCpDp1(), '-o', 'json']);
      const report = expectReportError(r, 3, /preflight check\(s\) failed: dp1 runs Kubernetes v1\.22\.17; k8ssandra-operator needs 1\.25\.0 or newer/);
      expect(report.checks.find((c: any) => c.id === 'K8S-VERSION' && c.context === 'dp1')).toMatchObject({ status: 'fail', hint: 'upgrade the cluster' });
      nothingWritten();
    });

    it('the operator already installed in another namespace', async () => {
      const r = await run([...installCpDp1('--namespace', 'other-ns'), '-o', 'json']);
      const report = expectReportError(r, 3, /cp already runs k8ssandra-operator in namespace k8ssandra-operator/);
      expect(report.checks.find((c: any) => c.id === 'OPERATOR-EXISTING' && c.status === 'fail').hint).toMatch(/--namespace k8ssandra-operator/);
      nothingWritten();
    });

    it('the operator already installed in another version: refused without --force', async () => {
      dpProxy.add({ method: 'GET', path: /^\/apis\/apps\/v1\/deployments\?/, fault: { respond: async (upstream) => {
        const u = JSON.parse((await upstream()).body);
        for (const d of u.items) for (const c of d.spec.template.spec.containers) c.image = c.image.replace(/:v[\d.]+$/, ':v1.31.0');
        return { status: 200, body: u };
      } } });
      const r = await run([...installCpDp1(), '-o', 'json']);
      const report = expectReportError(r, 3, /dp1 already runs operator v1\.31\.0, not v1\.32\.5/);
      expect(report.checks.find((c: any) => c.id === 'OPERATOR-EXISTING' && c.status === 'fail').hint).toMatch(/--force to change it to v1\.32\.5/);
      nothingWritten();
    });
  });

  describe('objects another field manager owns', () => {
    it('a conflict exits 7 without --force; --force takes the fields over and says so on stderr', async () => {
      await kubectl('dp1', '-n', NS, 'label', '--overwrite', 'serviceaccount', 'k8ssandra-control-plane', 'app.kubernetes.io/part-of=someone-else');
      const refused = await run(['register', '--contexts', 'cp,dp1', '--api-server', `dp1=${bedServer('dp1')}`, '-o', 'json']);
      const report = expectReportError(refused, 7, /conflict/);
      expect(report.error.hint).toMatch(/re-run with --force/);
      const sa = () => kubectlJson('dp1', '-n', NS, 'get', 'serviceaccount', 'k8ssandra-control-plane');
      expect((await sa()).metadata.labels['app.kubernetes.io/part-of']).toBe('someone-else');

      const forced = await run(['register', '--contexts', 'cp,dp1', '--api-server', `dp1=${bedServer('dp1')}`, '--force', '-o', 'json']);
      expect(forced.exitCode, forced.stderr).toBe(0);
      expect(forced.stderr).toMatch(/^warn --force: fields that other field managers own will be taken over$/m);
      expect(forced.stderr).toMatch(/^warn --force: dp1: took over fields of ServiceAccount\/k8ssandra-operator\/k8ssandra-control-plane from kubectl-label$/m);
      expect((await sa()).metadata.labels['app.kubernetes.io/part-of']).toBe('k8ssandra');
    });
  });

  it('no credential appears in any output above', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const all = printed.join('\n');
    for (const s of secrets) expect(all.includes(s), `a secret (${s.slice(0, 8)}...) was printed`).toBe(false);
  });
});
