// Exec credential plugins, run as kubectl runs them (client-go plugin/pkg/client/auth/exec), against
// a real TLS API server on loopback with a real plugin: a small node script that logs each run (its
// arguments, environment and KUBERNETES_EXEC_INFO) and prints an ExecCredential.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, toCliError } from '../../src/kube/client.js';
import { connect } from '../../src/kube/connect.js';
import { ExecPlugins, type PluginHost } from '../../src/kube/exec-plugin.js';
import { makePki, startApiServer, type Pki, type TestApiServer } from '../helpers/tls-api-server.js';

const PLUGIN = `#!/usr/bin/env node
const fs = require('node:fs');
const log = process.env.PLUGIN_LOG;
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
fs.appendFileSync(log, JSON.stringify({ pid: process.pid, argv: process.argv.slice(2), info, greeting: process.env.GREETING, home: process.env.HOME_OF_TEST }) + '\\n');
const n = fs.readFileSync(log, 'utf8').split('\\n').filter(Boolean).length;
const mode = process.env.PLUGIN_MODE || 'token';
const answer = (status) => console.log(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status }));
const ttl = process.env.PLUGIN_TTL_MS;
const expiry = ttl === undefined ? {} : { expirationTimestamp: new Date(Date.now() + Number(ttl)).toISOString() };
process.stderr.write('plugin: run ' + n + '\\n');
if (mode === 'hang') setInterval(() => {}, 1000);
else if (mode === 'fail') { process.stderr.write('token expired: run corp-login first\\n'); process.exit(3); }
else if (mode === 'stdin') process.stdin.once('data', (d) => { answer({ token: String(d).trim() }); process.exit(0); });
else if (mode === 'cert') answer({ clientCertificateData: fs.readFileSync(process.env.CERT_DIR + '/user' + n + '.crt', 'utf8'),
  clientKeyData: fs.readFileSync(process.env.CERT_DIR + '/user' + n + '.key', 'utf8'), ...expiry });
// A little slow, as real plugins are: concurrent requests overlap the run.
else setTimeout(() => answer({ token: 'tok-' + n, ...expiry }), 150);
`;

let pki: Pki;
let server: TestApiServer;
let dir: string;
let logFile: string;
let n = 0;

beforeAll(async () => {
  pki = makePki('exec-plugin-');
  for (const i of [1, 2, 3]) pki.client(`user${i}`, `user-${i}`);
  server = await startApiServer(pki);
  dir = mkdtempSync(path.join(tmpdir(), 'exec-plugin-bin-'));
  writeFileSync(path.join(dir, 'plugin.cjs'), PLUGIN);
  chmodSync(path.join(dir, 'plugin.cjs'), 0o755);
});
afterAll(() => {
  server?.close();
  for (const d of [dir, pki?.dir]) if (d) rmSync(d, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.length = 0;
  server.connections.length = 0;
  server.answer = () => ({ status: 200 });
  logFile = path.join(dir, `runs-${++n}.log`);
});

const runs = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const execUser = (extra: Record<string, unknown> = {}, env: Record<string, string> = {}) => ({ exec: {
  apiVersion: 'client.authentication.k8s.io/v1', command: path.join(dir, 'plugin.cjs'), interactiveMode: 'Never',
  env: Object.entries({ PLUGIN_LOG: logFile, ...env }).map(([name, value]) => ({ name, value })), ...extra } });

/** A kubeconfig file: contexts c1..cN on the test server, each with the user named in `users` (by index). */
function kubeconfig(users: Record<string, object>, contextUsers: string[], cluster: object = {}): string {
  const file = path.join(dir, `kubeconfig-${n}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'k', cluster: { server: server.url, 'certificate-authority': pki.file('ca.crt'), ...cluster } }],
    users: Object.entries(users).map(([name, user]) => ({ name, user })),
    contexts: contextUsers.map((user, i) => ({ name: `c${i + 1}`, context: { cluster: 'k', user } })),
  }));
  return file;
}

const host = (over: Partial<PluginHost> = {}): PluginHost => ({ env: { PATH: process.env.PATH }, ...over });
const clients = async (file: string, contexts: string[], opts: { plugins?: ExecPlugins; requestTimeoutMs?: number; signal?: AbortSignal } = {}) =>
  (await connect({ kubeconfig: file, env: { PATH: process.env.PATH }, contexts, plugins: opts.plugins ?? new ExecPlugins(host()),
    requestTimeoutMs: opts.requestTimeoutMs, signal: opts.signal, retries: 0 })).map((c) => c.client);
const bearer = () => server.requests.map((r) => server.header(r, 'authorization')[0]);
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('how often a plugin runs', () => {
  it('once for 20 parallel requests over 3 contexts that share one user, then its credential is kept', async () => {
    const cs = await clients(kubeconfig({ u: execUser() }, ['u', 'u', 'u']), ['c1', 'c2', 'c3']);
    await Promise.all(Array.from({ length: 20 }, (_, i) => cs[i % 3]!.request({ path: `/api/${i}` })));
    await Promise.all(cs.map((c) => c.request({ path: '/again' })));
    expect(runs()).toHaveLength(1);
    expect(new Set(bearer())).toEqual(new Set(['Bearer tok-1']));
    expect(server.requests).toHaveLength(23);
  });

  it('once per user when the contexts have different users', async () => {
    const file = kubeconfig({ a: execUser({ args: ['--user', 'a'] }), b: execUser({ args: ['--user', 'b'] }) }, ['a', 'b', 'a']);
    const cs = await clients(file, ['c1', 'c2', 'c3']);
    await Promise.all(Array.from({ length: 12 }, (_, i) => cs[i % 3]!.request({ path: `/api/${i}` })));
    expect(runs().map((r) => r.argv).sort()).toEqual([['--user', 'a'], ['--user', 'b']]);
  });

  it('again once the credential has expired (concurrent requests still share a run)', async () => {
    const [past] = await clients(kubeconfig({ u: execUser({}, { PLUGIN_TTL_MS: '-60000' }) }, ['u']), ['c1']);
    await Promise.all([past!.request({ path: '/1' }), past!.request({ path: '/2' })]);
    await past!.request({ path: '/3' });
    expect(runs()).toHaveLength(2);

    logFile = path.join(dir, `runs-${++n}-short.log`);
    const [short] = await clients(kubeconfig({ u: execUser({}, { PLUGIN_TTL_MS: '700' }) }, ['u']), ['c1']);
    await short!.request({ path: '/a' });
    await short!.request({ path: '/b' });
    expect(runs()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 800));
    await short!.request({ path: '/c' });
    expect(runs()).toHaveLength(2);
  });
});

describe('what a plugin is given', () => {
  it('KUBERNETES_EXEC_INFO with the cluster (provideClusterInfo and the exec extension), its env list and args, our environment', async () => {
    const file = kubeconfig({ u: execUser({ args: ['get-token', '--cluster', 'prod'], provideClusterInfo: true }, { GREETING: 'hello' }) }, ['u'], {
      'tls-server-name': 'kubernetes',
      extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'prod' } }, { name: 'other', extension: { x: 1 } }],
    });
    const plugins = new ExecPlugins(host({ env: { PATH: process.env.PATH, HOME_OF_TEST: '/home/t' } }));
    const [c] = await clients(file, ['c1'], { plugins });
    await c!.request({ path: '/api' });
    const [run] = runs();
    expect(run.argv).toEqual(['get-token', '--cluster', 'prod']);
    expect(run.greeting).toBe('hello');
    expect(run.home).toBe('/home/t');
    expect(run.info).toEqual({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false, cluster: {
      server: server.url, 'tls-server-name': 'kubernetes', 'certificate-authority-data': Buffer.from(pki.pem('ca.crt')).toString('base64'),
      config: { audience: 'prod' } } } });
  });

  it('no cluster without provideClusterInfo; v1beta1 is spoken too', async () => {
    const [c] = await clients(kubeconfig({ u: execUser({ apiVersion: 'client.authentication.k8s.io/v1beta1', interactiveMode: undefined }) }, ['u']), ['c1']);
    await c!.request({ path: '/api' });
    expect(runs()[0].info).toEqual({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', spec: { interactive: false } });
  });

  it('passes its stderr through, and lends stdin when interactive (a terminal, IfAvailable, not --no-input), the terminal set aside', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stderr: string[] = [];
    let asides = 0;
    const aside = <T>(fn: () => Promise<T>) => { asides++; return fn(); };
    const plugins = new ExecPlugins(host({ stdin, stderr: { write: (s) => stderr.push(String(s)) }, aside }));
    const [c] = await clients(kubeconfig({ u: execUser({ interactiveMode: 'IfAvailable' }, { PLUGIN_MODE: 'stdin' }) }, ['u']), ['c1'], { plugins });
    stdin.write('typed-token\n');
    await c!.request({ path: '/api' });
    expect(runs()[0].info.spec).toEqual({ interactive: true });
    expect(bearer()).toEqual(['Bearer typed-token']);
    expect(stderr.join('')).toContain('plugin: run 1');
    expect(asides).toBe(1);
  });

  it('does not lend stdin with --no-input or without a terminal (IfAvailable), nor for Never', async () => {
    for (const [mode, over] of [['IfAvailable', { stdin: Object.assign(new PassThrough(), { isTTY: true }), stdinUnavailable: '--no-input' }],
      ['IfAvailable', { stdin: new PassThrough() }], ['Never', { stdin: Object.assign(new PassThrough(), { isTTY: true }) }]] as const) {
      logFile = path.join(dir, `runs-${++n}-${mode}.log`);
      const [c] = await clients(kubeconfig({ u: execUser({ interactiveMode: mode }) }, ['u']), ['c1'], { plugins: new ExecPlugins(host(over)) });
      await c!.request({ path: '/api' });
      expect(runs()[0].info.spec).toEqual({ interactive: false });
    }
  });

  it('interactiveMode Always without a terminal: an error with a hint, the plugin not run', async () => {
    const [c] = await clients(kubeconfig({ u: execUser({ interactiveMode: 'Always' }) }, ['u']), ['c1'], { plugins: new ExecPlugins(host({ stdin: new PassThrough() })) });
    const e = toCliError(await c!.request({ path: '/api' }).catch((x) => x), 'cannot use context c1');
    expect(e.message).toBe('cannot use context c1: credentials for context c1 could not be obtained: '
      + 'the exec plugin needs a terminal (interactiveMode: Always), and standard input is not one');
    expect(e.hint).toMatch(/on a terminal without --no-input/);
    expect(e.exit).toBe('unreachable');
    expect(runs()).toEqual([]);
  });

  it('a relative command path is relative to the kubeconfig file; a bare name is looked up in PATH', async () => {
    const rel = kubeconfig({ u: { exec: { ...execUser().exec, command: './plugin.cjs' } } }, ['u']);
    const [c] = await clients(rel, ['c1']);
    await c!.request({ path: '/api' });
    expect(runs()).toHaveLength(1);
    const bare = kubeconfig({ u: { exec: { ...execUser().exec, command: 'plugin.cjs' } } }, ['u']);
    const [d] = await clients(bare, ['c1'], { plugins: new ExecPlugins(host({ env: { PATH: `${dir}${path.delimiter}${process.env.PATH}` } })) });
    await d!.request({ path: '/api' });
    expect(runs()).toHaveLength(2);
  });

  it('a command that is not installed: its installHint (without terminal escapes) is the hint', async () => {
    const [c] = await clients(kubeconfig({ u: execUser({ command: 'gke-gcloud-auth-plugin-missing', installHint: '\u001b[31minstall gke-gcloud-auth-plugin\u001b[0m' }) }, ['u']), ['c1']);
    const e = toCliError(await c!.request({ path: '/api' }).catch((x) => x), 'cannot use context c1');
    expect(e.message).toBe('cannot use context c1: credentials for context c1 could not be obtained: exec plugin gke-gcloud-auth-plugin-missing not found');
    expect(e.hint).toBe('install gke-gcloud-auth-plugin');
  });

  it('a failing plugin: its last stderr line and exit code in the error; an exec section kubectl refuses is a usage error', async () => {
    const [c] = await clients(kubeconfig({ u: execUser({}, { PLUGIN_MODE: 'fail' }) }, ['u']), ['c1']);
    const e = toCliError(await c!.request({ path: '/api' }).catch((x) => x), 'cannot use context c1');
    expect(e.message).toBe('cannot use context c1: credentials for context c1 could not be obtained: token expired: run corp-login first (exec plugin plugin.cjs exited with code 3)');
    const [v1] = await clients(kubeconfig({ u: execUser({ interactiveMode: undefined }) }, ['u']), ['c1']);
    const usage = await v1!.request({ path: '/api' }).catch((x) => x);
    expect(usage).toMatchObject({ exit: 'usage', message: 'context c1: exec plugin (apiVersion client.authentication.k8s.io/v1) needs interactiveMode: Never, IfAvailable or Always' });
    expect(server.requests).toEqual([]);
  });
});

describe('a plugin that hangs', () => {
  it('is stopped at the request timeout, with an error naming the context', async () => {
    const [c] = await clients(kubeconfig({ u: execUser({}, { PLUGIN_MODE: 'hang' }) }, ['u']), ['c1'], { requestTimeoutMs: 800 });
    const started = Date.now();
    const e = toCliError(await c!.request({ path: '/api' }).catch((x) => x), 'cannot use context c1');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(e.message).toBe('cannot use context c1: credentials for context c1 could not be obtained: the exec plugin plugin.cjs gave no credentials within 800 ms (stopped it)');
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(runs()[0].pid)).toBe(false);
  });

  it('is stopped at the command\'s deadline when that comes first: a timeout (exit 4)', async () => {
    const file = kubeconfig({ u: execUser({}, { PLUGIN_MODE: 'hang' }) }, ['u']);
    const [c] = (await connect({ kubeconfig: file, env: { PATH: process.env.PATH }, contexts: ['c1'], plugins: new ExecPlugins(host()),
      deadline: Date.now() + 700, retries: 0 })).map((x) => x.client);
    const e = toCliError(await c!.request({ path: '/api' }).catch((x) => x), 'cannot use context c1');
    expect(e).toMatchObject({ exit: 'timeout',
      message: 'cannot use context c1: credentials for context c1 could not be obtained: the exec plugin plugin.cjs was still running at the deadline (stopped it)' });
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(runs()[0].pid)).toBe(false);
  });

  it('is killed on Ctrl-C (the abort of the requests)', async () => {
    const ctrlC = new AbortController();
    const [c] = await clients(kubeconfig({ u: execUser({}, { PLUGIN_MODE: 'hang' }) }, ['u']), ['c1'], { signal: ctrlC.signal });
    const pending = c!.request({ path: '/api' }).catch((x) => x);
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(runs()[0].pid)).toBe(true);
    ctrlC.abort(new Error('interrupted (SIGINT)'));
    expect(await pending).toMatchObject({ message: 'interrupted (SIGINT)' });
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(runs()[0].pid)).toBe(false);
  });
});

describe('a 401', () => {
  it('drops the credential, runs the plugin again once and sends the request again', async () => {
    server.answer = (r) => ({ status: server.header(r, 'authorization')[0] === 'Bearer tok-2' ? 200 : 401 });
    const [c] = await clients(kubeconfig({ u: execUser() }, ['u']), ['c1']);
    expect(await c!.request({ path: '/api' })).toEqual({});
    expect(runs()).toHaveLength(2);
    expect(bearer()).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('twice is "credentials rejected"', async () => {
    server.answer = () => ({ status: 401 });
    const [c] = await clients(kubeconfig({ u: execUser() }, ['u']), ['c1']);
    const e = toCliError(await c!.request({ path: '/api' }).catch((x) => x), 'cannot use context c1');
    expect(e.message).toBe('cannot use context c1: context c1: credentials rejected (401 Unauthorized)');
    expect(runs()).toHaveLength(2);
    expect(server.requests).toHaveLength(2);
  });
});

describe('a client certificate from a plugin', () => {
  it('is used for the connection, and a renewed certificate opens a new connection (a server that requires client certificates)', async () => {
    const strict = await startApiServer(pki, 'h2', true);
    const [c] = await clients(kubeconfig({ u: execUser({}, { PLUGIN_MODE: 'cert', CERT_DIR: pki.dir, PLUGIN_TTL_MS: '600' }) }, ['u'],
      { server: strict.url }), ['c1']);
    const server = strict;
    await Promise.all([c!.request({ path: '/1' }), c!.request({ path: '/2' })]);
    await c!.request({ path: '/3' });
    expect(server.connections).toEqual(['user-1']);
    await new Promise((r) => setTimeout(r, 700));
    await c!.request({ path: '/4' });
    expect(runs()).toHaveLength(2);
    expect(server.connections).toEqual(['user-1', 'user-2']);
    expect(server.requests.map((r) => `${r.path} ${r.cn}`)).toEqual(['/1 user-1', '/2 user-1', '/3 user-1', '/4 user-2']);
    strict.close();
  });

  it('a client without a command of its own still runs the plugin (createClient alone)', async () => {
    const ctx = { name: 'solo', clusterName: 'k', server: server.url, kubeconfig: {
      clusters: [{ name: 'k', cluster: { server: server.url, 'certificate-authority-data': Buffer.from(pki.pem('ca.crt')).toString('base64') } }],
      users: [{ name: 'u', user: execUser() }] } };
    await (await createClient(ctx)).request({ path: '/api' });
    expect(runs()).toHaveLength(1);
  });
});
