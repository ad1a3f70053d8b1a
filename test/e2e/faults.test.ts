// Faults on the test bed: API servers that answer 429/500/503, reset, stall, go away or are killed,
// and a CLI interrupted (SIGINT) or killed (SIGKILL) at each step of install. Every run is followed
// by a check with kubectl; the chain ends with a re-run that converges to exactly one registration.
// Runs against cp and dp1 through fault-injecting proxies (test/helpers/fault-proxy.ts).
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status, up } from '../../testbed/bed.js';
import { binDir } from '../../testbed/binaries.js';
import { clusterPids, kwokctl, pruneStalePids } from '../../testbed/kwokctl.js';
import { kwokClusterName } from '../../testbed/topology.js';
import { bedKubeconfig, kubectl, kubectlJson, waitFor } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, operatorManifests, startK8ssandra, startK8ssandraOnTerminal, type CliRun } from '../helpers/cli.js';
import { bedConfig, bedServer, FaultProxy, writeKubeconfig, type Fault } from '../helpers/fault-proxy.js';
import { removeInstall } from '../helpers/uninstalled.js';

const NS = 'k8ssandra-operator';
const OURS = 'app.kubernetes.io/managed-by=k8ssandra-cli';

let cpProxy: FaultProxy;
let dpProxy: FaultProxy;
let proxied: string; // a kubeconfig whose cp and dp1 go through the proxies
/** Everything every run of this file printed: no secret may appear in it (checked at the end). */
const printed: string[] = [];
/** Every token the control plane was given during this file, and the stored kubeconfigs (base64). */
const tokens = new Set<string>();
const storedBlobs = new Set<string>();

const installArgs = (...extra: string[]) => ['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--api-server', `dp1=${bedServer('dp1')}`, '-o', 'json', '-v', ...extra];
const registerArgs = (...extra: string[]) => ['register', '--contexts', 'cp,dp1', '--api-server', `dp1=${bedServer('dp1')}`, '-o', 'json', '-v', ...extra];

async function run(args: string[], opts: { kubeconfig?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const r = await k8ssandra(args, { kubeconfig: opts.kubeconfig ?? proxied, env: opts.env });
  printed.push(r.stdout, r.stderr);
  return r;
}

/** Starts a run, and interrupts it with `signal` once `when` resolves; answers how long it took to stop. */
async function interrupted(args: string[], signal: NodeJS.Signals, when: (p: ReturnType<typeof startK8ssandra>) => Promise<unknown>) {
  const p = startK8ssandra(args, { kubeconfig: proxied });
  const early = p.result.then((r) => { throw new Error(`the run ended (exit ${r.exitCode}) before it could be interrupted:\n${r.stderr}`); });
  await Promise.race([when(p), early]);
  early.catch(() => {});
  const sentAt = Date.now();
  p.kill(signal);
  const r = await p.result;
  printed.push(r.stdout, r.stderr);
  return { ...r, stopMs: r.endedAt - sentAt };
}

async function storedToken(): Promise<string | undefined> {
  const s = await kubectlJson('cp', '-n', NS, 'get', 'secret', 'dp1-kubeconfig', '--ignore-not-found').catch(() => undefined);
  if (!s?.data?.kubeconfig) return undefined;
  storedBlobs.add(s.data.kubeconfig);
  const t = parse(Buffer.from(s.data.kubeconfig, 'base64').toString('utf8')).users[0].user.token as string;
  tokens.add(t);
  return t;
}

const names = async (ctx: string, kind: string, ...args: string[]) =>
  (await kubectl(ctx, '-n', NS, 'get', kind, '-o', 'name', '--ignore-not-found', ...args)).split('\n').filter(Boolean).sort();

/** The Deployment as the CLI sees it through the proxy: never available (a wait that cannot end). */
const neverAvailable: Fault = {
  respond: async (upstream) => {
    const u = await upstream();
    const d = JSON.parse(u.body);
    if (d.status) Object.assign(d.status, { availableReplicas: 0, unavailableReplicas: 1 });
    return { status: u.status, body: d };
  },
};

/**
 * The release without its Namespace: removing it is quick (no namespace to finalize) and leaves dp1 without
 * the operator. Only kinds dp1 serves: on a fresh bed there are no cert-manager CRDs, hence no Certificates.
 */
const stripRelease = (ctx: string) => removeInstall(ctx, { keepNamespace: true });

async function removeRegistrations() {
  await kubectl('cp', '-n', NS, 'delete', 'clientconfigs', '-l', OURS, '--ignore-not-found').catch(() => ''); // no CRD yet: nothing registered
  await kubectl('cp', '-n', NS, 'delete', 'secrets', '-l', OURS, '--ignore-not-found').catch(() => '');
}

// After the whole file: its registrations hold tokens of an hour (register --token-ttl 1h), which later
// installs would keep on purpose (status then warns of their expiry): they go.
afterAll(() => removeRegistrations());

// Long timeouts: every run is a real install on a bed that shares two cores with other work.
describe('faults: an install that is interrupted, killed, or talks to a failing API server, converges', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    [cpProxy, dpProxy] = await Promise.all([FaultProxy.start('cp'), FaultProxy.start('dp1')]);
    proxied = writeKubeconfig({ proxies: { cp: cpProxy, dp1: dpProxy } });
    await Promise.all([stripRelease('dp1'), removeRegistrations()]);
    expect(await names('dp1', 'deployments')).toEqual([]);
  });
  afterAll(async () => {
    await Promise.all([cpProxy?.close(), dpProxy?.close()]);
  });

  it('SIGINT during preflight: exit 130 at once, one line, nothing written', async () => {
    cpProxy.reset(); dpProxy.reset();
    dpProxy.add({ method: 'POST', path: /selfsubjectrulesreviews/, fault: { delayMs: 3000 }, times: 1 });
    const r = await interrupted(installArgs(), 'SIGINT', () => dpProxy.next('POST', /selfsubjectrulesreviews/));
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stopMs).toBeLessThan(10_000);
    expect(r.json().error).toMatchObject({ exit: 'interrupted', message: expect.stringMatching(/^interrupted \(SIGINT\)/) });
    expect(r.json().error.hint).toMatch(/run the same command again/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect([...cpProxy.writes(), ...dpProxy.writes()]).toEqual([]);
  });

  it('SIGKILL during preflight: nothing written', async () => {
    cpProxy.reset(); dpProxy.reset();
    dpProxy.add({ method: 'POST', path: /selfsubjectrulesreviews/, fault: { delayMs: 3000 }, times: 1 });
    const r = await interrupted(installArgs(), 'SIGKILL', () => dpProxy.next('POST', /selfsubjectrulesreviews/));
    expect(r.signal).toBe('SIGKILL');
    expect([...cpProxy.writes(), ...dpProxy.writes()]).toEqual([]);
    expect(await names('dp1', 'deployments')).toEqual([]);
  });

  it('SIGINT while the release is applied: exit 130 promptly, before the registration', async () => {
    cpProxy.reset(); dpProxy.reset();
    const r = await interrupted(installArgs(), 'SIGINT', () => dpProxy.next('PATCH', /./, { count: 12 }));
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stopMs).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/FAIL Install the operator/);
    expect(await names('dp1', 'crd')).not.toEqual([]); // it got somewhere ...
    expect(await names('cp', 'secrets', '-l', OURS)).toEqual([]); // ... but registered nothing
  });

  it('SIGKILL while the release is applied: the objects applied are whole', async () => {
    cpProxy.reset(); dpProxy.reset();
    const r = await interrupted(installArgs(), 'SIGKILL', () => dpProxy.next('PATCH', /./, { count: 20 }));
    expect(r.signal).toBe('SIGKILL');
    // Each object is applied whole (one server-side apply each): every CRD that exists has its schema.
    const crds = (await kubectlJson('dp1', 'get', 'crd')).items.filter((c: any) => /k8ssandra\.io$|cassandra\.datastax\.com$/.test(c.spec.group));
    expect(crds.length).toBeGreaterThan(0);
    for (const crd of crds) expect(JSON.stringify(crd.spec), crd.metadata.name).toContain('openAPIV3Schema');
    expect(await names('cp', 'clientconfigs')).toEqual([]);
  });

  it('the re-run converges from the partial install through an API server that answers 429, 500, 503 and resets', async () => {
    cpProxy.reset(); dpProxy.reset();
    cpProxy.add(
      { method: 'GET', path: /^\/version/, fault: { status: 429, retryAfter: 2 }, times: 1 },
      { method: 'PATCH', path: /customresourcedefinitions\/k8ssandraclusters/, fault: { status: 500 }, times: 2 },
    );
    dpProxy.add(
      { method: 'GET', path: /^\/apis\/apps\/v1\/deployments/, fault: { status: 503 }, times: 2 },
      { method: 'POST', path: /serviceaccounts\/k8ssandra-control-plane\/token/, fault: { status: 500 }, times: 1 },
      { method: 'GET', path: /./, fault: { reset: true }, after: 8, times: 2 },
    );
    // The kill above may have applied this CRD in cp already; without our mark (someone removed it), it is applied again.
    await kubectl('cp', 'annotate', 'crd', 'k8ssandraclusters.k8ssandra.io', 'k8ssandra.io/applied-hash-').catch(() => '');
    const r = await run(installArgs());
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().ok).toBe(true);

    // 429: sent again no sooner than its Retry-After (2 s).
    const version = cpProxy.requests('GET', /^\/version/);
    expect(version[0]!.outcome).toBe(429);
    expect(version[1]!.at - version[0]!.at).toBeGreaterThanOrEqual(2000);
    // 500 twice, then applied: three attempts of an idempotent apply.
    const crd = cpProxy.requests('PATCH', /customresourcedefinitions\/k8ssandraclusters/).map((q) => q.outcome);
    expect(crd.slice(0, 2)).toEqual([500, 500]);
    expect(crd).toHaveLength(3);
    expect([200, 201]).toContain(crd[2]);
    // A TokenRequest that failed with 500 is safe to send again (it stores nothing): two were sent,
    // one token was stored, and it works.
    expect(dpProxy.requests('POST', /\/token/).map((q) => q.outcome)).toEqual([500, 201]);
    expect(dpProxy.requests('GET').filter((q) => q.outcome === 'reset')).toHaveLength(2);
    expect(r.stderr).toMatch(/retry 1\/10 in \d+ ms/);

    expect(await names('cp', 'clientconfigs')).toEqual(['clientconfig.config.k8ssandra.io/dp1']);
    expect(await names('cp', 'secrets', '-l', OURS)).toEqual(['secret/dp1-kubeconfig']);
    expect(r.json().registrations).toMatchObject([{ context: 'dp1', verified: true, action: 'created' }]);
    expect(await storedToken()).toBeTruthy();
  });

  it('SIGKILL between the Secrets and the ClientConfigs: the re-run reuses the stored credentials', async () => {
    await removeRegistrations();
    cpProxy.reset(); dpProxy.reset();
    cpProxy.add({ path: /clientconfigs\/dp1/, fault: { stall: true } });
    const r = await interrupted(installArgs(), 'SIGKILL', () => cpProxy.next(undefined, /clientconfigs\/dp1/));
    expect(r.signal).toBe('SIGKILL');
    // A Secret without its ClientConfig: harmless (the operator reads ClientConfigs), and the re-run finishes it.
    expect(await names('cp', 'secrets', '-l', OURS)).toEqual(['secret/dp1-kubeconfig']);
    expect(await names('cp', 'clientconfigs')).toEqual([]);
  });

  it('SIGINT during the registration batch: the batch is written whole, then exit 130', async () => {
    const before = await storedToken();
    cpProxy.reset(); dpProxy.reset();
    cpProxy.add({ method: 'PATCH', path: /clientconfigs\/dp1/, fault: { delayMs: 2500 }, times: 1 });
    const r = await interrupted(installArgs(), 'SIGINT', () => cpProxy.next('PATCH', /clientconfigs\/dp1/));
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.json().error.exit).toBe('interrupted');
    expect(await names('cp', 'clientconfigs')).toEqual(['clientconfig.config.k8ssandra.io/dp1']);
    // The stored token was still good: reused, not minted again (no churn in the control plane).
    expect(await storedToken()).toBe(before);
    expect(dpProxy.requests('POST', /\/token/)).toEqual([]);
  });

  it('SIGINT while waiting for the operators: the wait stops at once', async () => {
    cpProxy.reset(); dpProxy.reset();
    dpProxy.add({ method: 'GET', path: /namespaces\/k8ssandra-operator\/deployments\/k8ssandra-operator$/, fault: neverAvailable });
    const r = await interrupted(installArgs(), 'SIGINT', (p) => p.waitForStderr(/• Wait for the operators/).then(() => sleep(500)));
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stopMs).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/FAIL Wait for the operators/);
  });

  it('Ctrl-C typed on a terminal (spinners running) stops the install cleanly: exit 130', async () => {
    const p = startK8ssandraOnTerminal(installArgs().filter((a) => a !== '-o' && a !== 'json'), { kubeconfig: proxied });
    await p.waitForOutput(/Install the operator/);
    p.type('\x03');
    const r = await p.result;
    printed.push(r.output);
    expect(r.exitCode, r.output).toBe(130);
    expect(r.output).toMatch(/(✖|FAIL) Install the operator/);
    expect(r.output).toMatch(/error: interrupted \(SIGINT\): stopped cleanly\s+hint: run the same command again/);
  });

  it('a wait that cannot end fails at --timeout with exit 4, saying what was missing', async () => {
    cpProxy.reset(); dpProxy.reset();
    cpProxy.add({ method: 'GET', path: /namespaces\/k8ssandra-operator\/deployments\/k8ssandra-operator$/, fault: neverAvailable });
    const r = await run(registerArgs('--timeout', '20s'));
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.json().error.message).toMatch(/timed out waiting for Deployments to be available in cp \(not available yet: k8ssandra-operator\)/);
    expect(r.json().error.hint).toMatch(/--timeout/);
  });

  it('after every interruption, a plain re-run has nothing left to do: exactly one registration, secret, account and binding', async () => {
    cpProxy.reset(); dpProxy.reset();
    const r = await run(installArgs());
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().summary).toMatch(/nothing changed/);
    expect(r.json().registrations).toMatchObject([{ context: 'dp1', action: 'unchanged', verified: true }]);
    expect(await names('cp', 'clientconfigs')).toEqual(['clientconfig.config.k8ssandra.io/dp1']);
    expect(await names('cp', 'secrets', '-l', OURS)).toEqual(['secret/dp1-kubeconfig']);
    expect(await names('dp1', 'serviceaccounts', '-l', OURS)).toEqual(['serviceaccount/k8ssandra-control-plane']);
    expect(await names('dp1', 'rolebindings', '-l', OURS)).toEqual(['rolebinding.rbac.authorization.k8s.io/k8ssandra-control-plane']);
    expect((await kubectlJson('dp1', '-n', NS, 'get', 'deployment', 'k8ssandra-operator')).status.availableReplicas).toBe(1);
    // cert-manager too, wherever a kill may have cut its install short (its CRDs in, its Deployments not yet).
    for (const ctx of ['cp', 'dp1']) expect(await kubectl(ctx, '-n', 'cert-manager', 'get', 'deployment', 'cert-manager', '-o', 'name'), ctx).toBe('deployment.apps/cert-manager');
  });

  it('a request that stalls times out (--request-timeout) and is sent again', async () => {
    cpProxy.reset(); dpProxy.reset();
    dpProxy.add({ method: 'PATCH', path: /serviceaccounts\/k8ssandra-control-plane\?/, fault: { stall: true }, times: 1 });
    // Someone removed our mark since: the re-run applies it again instead of skipping it as current.
    await kubectl('dp1', '-n', NS, 'annotate', 'serviceaccount', 'k8ssandra-control-plane', 'k8ssandra.io/applied-hash-');
    const r = await run(registerArgs('--request-timeout', '4s'));
    expect(r.exitCode, r.stderr).toBe(0);
    const sent = dpProxy.requests('PATCH', /serviceaccounts\/k8ssandra-control-plane\?/).map((q) => q.outcome);
    expect(sent[0]).toBe('stalled');
    expect(sent.at(-1)).toBe(200);
    expect(r.stderr).toMatch(/dp1: PATCH \/api\/v1\/namespaces\/k8ssandra-operator\/serviceaccounts\/k8ssandra-control-plane failed \(.*no answer within 4000 ms\); retry 1\/10/);
  });

  it('an API server that goes away for a few seconds is ridden through', async () => {
    cpProxy.reset(); dpProxy.reset();
    let downAt = 0;
    dpProxy.once('request', () => {
      downAt = Date.now();
      void dpProxy.down().then(() => sleep(4000)).then(() => dpProxy.up());
    });
    const r = await run(registerArgs());
    expect(r.exitCode, r.stderr).toBe(0);
    expect(downAt).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/dp1: .* failed \(.*(refused|reset).*\); retry/);
  });

  it('an API server that stays down fails the command within --timeout: exit 6, naming it', async () => {
    cpProxy.reset(); dpProxy.reset();
    dpProxy.once('request', () => void dpProxy.down());
    const started = Date.now();
    const r = await run(registerArgs('--timeout', '12s'));
    await dpProxy.up();
    expect(r.exitCode, r.stderr).toBe(6);
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(r.json().error.message).toMatch(/cannot reach https:\/\/127\.0\.0\.1:\d+ \(context dp1\): connection refused/);
    expect(r.json().error.hint).toBeTruthy();
  });

  it('an API server that keeps answering 503: exit 6 with a hint, after retrying', async () => {
    cpProxy.reset(); dpProxy.reset();
    cpProxy.add({ path: /./, fault: { status: 503, retryAfter: 1 }, after: 2 });
    const r = await run(registerArgs('--timeout', '10s'));
    expect(r.exitCode, r.stderr).toBe(6);
    expect(r.json().error.message).toMatch(/context cp: the API server kept answering 503 ServiceUnavailable/);
    expect(r.json().error.hint).toMatch(/overloaded or unhealthy/);
    expect(cpProxy.requests().filter((q) => q.outcome === 503).length).toBeGreaterThan(2);
  });

  it('the kube-apiserver of dp1 killed in the middle of an install and restarted: the install rides through or fails cleanly; the re-run converges', async () => {
    const p = startK8ssandra(installArgs(), { kubeconfig: bedKubeconfig() });
    await p.waitForStderr(/• Install the operator/);
    const apiserver = clusterPids('dp1').find((c) => c.component === 'kube-apiserver' && c.alive)!;
    process.kill(apiserver.pid, 'SIGKILL');
    await sleep(1000);
    pruneStalePids('dp1');
    await kwokctl(binDir(), ['start', 'cluster', '--name', kwokClusterName('dp1')]);
    const r = await p.result;
    printed.push(r.stdout, r.stderr);
    expect([0, 6], r.stderr).toContain(r.exitCode);
    // The bed is whole again (every component of dp1 up, its node Ready) before anything else runs, in this
    // file or the next. On a loaded machine the API server can take longer to come back than
    // kube-controller-manager and kube-scheduler wait for their leader lease: they exit, and only the
    // bed's repair (`up`: stop and start what is broken) brings them back.
    await waitFor('dp1 to be healthy again', async () => ((await status()).clusters.find((c) => c.context === 'dp1')?.healthy ? true : undefined), 60_000)
      .catch(() => up({ log: () => {} }));
    if (r.exitCode === 6) {
      // Down for longer than the retry window: one clear error naming the cluster, then a re-run finishes.
      expect(r.json().error.message).toMatch(/context dp1/);
      const again = await run(installArgs(), { kubeconfig: bedKubeconfig() });
      expect(again.exitCode, again.stderr).toBe(0);
    } else {
      expect(r.stderr).toMatch(/dp1: .* failed \(.*connection refused.*\); retry/);
    }
    expect(await names('cp', 'clientconfigs')).toEqual(['clientconfig.config.k8ssandra.io/dp1']);
    expect(await names('cp', 'secrets', '-l', OURS)).toEqual(['secret/dp1-kubeconfig']);
  });
});

describe('credentials: bounded tokens, rotation without downtime, nothing secret in any output', { timeout: 600_000 }, () => {
  async function canI(token: string, ...args: string[]) {
    const kc = writeKubeconfig({ edit: (doc) => {
      const ctx = doc.contexts.find((c: any) => c.name === 'dp1').context;
      doc.users = [{ name: 'sa', user: { token } }];
      doc.contexts = [{ name: 'dp1', context: { ...ctx, user: 'sa' } }];
    } });
    const { execa } = await import('execa');
    return (await execa('kubectl', ['--kubeconfig', kc, '--context', 'dp1', 'auth', 'can-i', ...args], { reject: false })).stdout.trim();
  }

  it('register --rotate mints bounded tokens for every data plane in one batch; the old ones keep working until they expire', async () => {
    const old = (await storedToken())!;
    const cc = await kubectlJson('cp', '-n', NS, 'get', 'clientconfig', 'dp1');
    const r = await run(registerArgs('--rotate', '--token-ttl', '1h'), { kubeconfig: bedKubeconfig() });
    expect(r.exitCode, r.stderr).toBe(0);
    const fresh = (await storedToken())!;
    expect(fresh).not.toBe(old);
    const exp = JSON.parse(Buffer.from(fresh.split('.')[1]!, 'base64url').toString()).exp * 1000;
    expect(Math.abs(exp - (Date.now() + 3600_000))).toBeLessThan(5 * 60_000);
    expect(r.json().registrations).toMatchObject([{ context: 'dp1', action: 'changed', verified: true }]);
    expect(r.json().summary).toMatch(/rotated the tokens of dp1/);
    // The ClientConfig did not change; the old token still works (the operator is never cut off).
    expect((await kubectlJson('cp', '-n', NS, 'get', 'clientconfig', 'dp1')).metadata.resourceVersion).toBe(cc.metadata.resourceVersion);
    expect(await canI(old, 'list', 'cassandradatacenters.cassandra.datastax.com', '-n', NS)).toBe('yes');
    expect(await canI(fresh, 'list', 'cassandradatacenters.cassandra.datastax.com', '-n', NS)).toBe('yes');
    // Least privilege: the operator's own Role in its namespace, nothing beyond.
    expect(await canI(fresh, 'get', 'secrets', '-n', 'kube-system')).toBe('no');
    expect(await canI(fresh, 'create', 'clusterrolebindings')).toBe('no');
    // A register that is not a rotation keeps a token that still has most of its lifetime.
    const keep = await run(registerArgs('--token-ttl', '1h'), { kubeconfig: bedKubeconfig() });
    expect(keep.exitCode, keep.stderr).toBe(0);
    expect(await storedToken()).toBe(fresh);
  });

  it('--token-ttl below the API minimum is a usage error before any request', async () => {
    cpProxy.reset(); dpProxy.reset();
    const r = await run(registerArgs('--token-ttl', '5m'));
    expect(r.exitCode).toBe(2);
    expect(r.json().error).toMatchObject({ exit: 'usage', message: '--token-ttl 5m is shorter than 10m, the shortest token Kubernetes issues' });
    expect([...cpProxy.log, ...dpProxy.log]).toEqual([]);
  });

  it('no token, key or kubeconfig appears in the output of any run (all with --verbose); cached files are private', async () => {
    const cache = path.join(mkdtempSync(path.join(tmpdir(), 'cache-')), 'k8ssandra');
    const dry = await run(['uninstall', '--contexts', 'cp,dp1', '--manifests', operatorManifests, '--dry-run', '-v', '-o', 'yaml'],
      { kubeconfig: bedKubeconfig(), env: { K8SSANDRA_CACHE_DIR: cache } });
    expect(dry.exitCode, dry.stderr).toBe(0);
    // The parsed release the CLI cached: 0600 files in 0700 folders.
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? [p, ...walk(p)] : [p];
    });
    const entries = walk(cache);
    expect(entries.some((p) => p.endsWith('.json'))).toBe(true);
    for (const p of [cache, ...entries]) expect((statSync(p).mode & 0o777).toString(8), p).toBe(statSync(p).isDirectory() ? '700' : '600');

    await storedToken();
    const user = bedConfig().users[0].user;
    const key = Buffer.from(user['client-key-data'], 'base64').toString('utf8');
    const keyLines = key.split('\n').filter((l) => l.length > 40);
    const secrets = [...tokens, ...storedBlobs, ...[...tokens].map((t) => Buffer.from(t).toString('base64')), user['client-key-data'], ...keyLines];
    expect(tokens.size).toBeGreaterThanOrEqual(2);
    const all = printed.join('\n');
    expect(all.length).toBeGreaterThan(10_000);
    for (const s of secrets) expect(all.includes(s), `a secret (${s.slice(0, 8)}...) was printed`).toBe(false);
  });
});
