// Reaching API servers the way kubectl (client-go) reaches them, each against real servers on loopback:
// through a kubeconfig proxy-url (HTTP CONNECT over http or https, SOCKS5 with the name resolved by the
// proxy) or the environment's HTTPS_PROXY, an HTTP/2 connection that a load balancer silently dropped,
// trust without a CA in the kubeconfig (the system's roots) and with an intermediate as the CA, the
// insecure flag next to a CA refused, a pod's service account without a kubeconfig, and the headers
// (User-Agent, gzip). Names other than loopback never resolve here (loopbackOnlyDns): no query leaves
// the machine, and a client that dialled apiserver.invalid directly would fail.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ClientOptions } from '../../src/kube/client.js';
import { connect } from '../../src/kube/connect.js';
import { IN_CLUSTER } from '../../src/kube/in-cluster.js';
import type { ResolvedContext } from '../../src/kube/kubeconfig.js';
import { systemRoots } from '../../src/kube/trust.js';
import { storedClient } from '../../src/registration/credentials.js';
import { formatUserAgent } from '../../src/kube/user-agent.js';
import { CliError, ExitCode } from '../../src/errors.js';
import { makePki, type Pki } from '../helpers/loopback-pki.js';
import { apiServer, close, connectProxy, listen, loopbackOnlyDns, portOf, relay, socksProxy } from '../helpers/loopback-servers.js';

let pki: Pki;
let restoreDns: () => void;
let api: Awaited<ReturnType<typeof apiServer>>;
const keys = (name: string) => ({ key: pki.pem(`${name}.key`), cert: pki.pem(`${name}.crt`) });
const servers: Parameters<typeof close>[0][] = [];

beforeAll(async () => {
  restoreDns = loopbackOnlyDns();
  pki = makePki();
  api = await apiServer(keys('server'));
  servers.push(api.server);
});
afterAll(async () => {
  restoreDns?.();
  await Promise.all(servers.map((s) => close(s as Parameters<typeof close>[0])));
  pki?.remove();
});

/** A context as a kubeconfig holds it: a token user, the test CA unless `cluster` says otherwise. */
const contextFor = (server: string, cluster: Record<string, unknown> = { 'certificate-authority-data': pki.b64('ca.crt') }): ResolvedContext => ({
  name: 't', clusterName: 't', server,
  kubeconfig: { clusters: [{ name: 't', cluster: { server, ...cluster } }], users: [{ name: 't', user: { token: 'secret-token' } }] },
});
const clientOf = (server: string, cluster?: Record<string, unknown>, opts: ClientOptions = {}) => createClient(contextFor(server, cluster), { retries: 0, ...opts });
const ca = () => ({ 'certificate-authority-data': pki.b64('ca.crt') });
const hidden = () => `https://apiserver.invalid:${api.port}`;
const routes = () => ({ [`apiserver.invalid:${api.port}`]: api.port });

describe('kubeconfig proxy-url (client-go dials through it)', () => {
  it('http: an HTTP CONNECT tunnel, with the proxy URL\'s user and password', async () => {
    const proxy = await connectProxy(routes());
    servers.push(proxy.server);
    const client = await clientOf(hidden(), { ...ca(), 'proxy-url': `http://ops:s%3Acret@127.0.0.1:${proxy.port}` });
    expect(await client.request({ path: '/version' })).toMatchObject({ path: '/version' });
    await client.request({ path: '/again' });
    expect(proxy.state.tunnels).toBe(1); // HTTP/2: one tunnel carries every request
    expect(proxy.state.authorization).toEqual([`Basic ${Buffer.from('ops:s:cret').toString('base64')}`]);
  });

  it('https: the tunnel inside TLS to the proxy', async () => {
    const proxy = await connectProxy(routes(), keys('server'));
    servers.push(proxy.server);
    const client = await clientOf(hidden(), { ...ca(), 'proxy-url': `https://127.0.0.1:${proxy.port}` });
    expect(await client.request({ path: '/version' })).toMatchObject({ path: '/version' });
    expect(proxy.state.tunnels).toBe(1);
  });

  it('socks5: the proxy resolves the name (it is known only behind the proxy)', async () => {
    const proxy = await socksProxy(routes());
    servers.push(proxy.server);
    const client = await clientOf(hidden(), { ...ca(), 'proxy-url': `socks5://127.0.0.1:${proxy.port}` });
    expect(await client.request({ path: '/version' })).toMatchObject({ path: '/version' });
    expect(proxy.state.names).toEqual([`apiserver.invalid:${api.port}`]);
    expect(proxy.state.tunnels).toBe(1);
  });

  it('an HTTP/1.1-only server: every connection of the pool goes through the proxy', async () => {
    const h1 = await apiServer(keys('server'), { http1Only: true });
    const proxy = await connectProxy({ [`apiserver.invalid:${h1.port}`]: h1.port });
    servers.push(h1.server, proxy.server);
    const client = await clientOf(`https://apiserver.invalid:${h1.port}`, { ...ca(), 'proxy-url': `http://127.0.0.1:${proxy.port}` });
    await Promise.all(Array.from({ length: 12 }, (_, i) => client.request({ path: `/p/${i}` })));
    expect(h1.seen).toHaveLength(12);
    expect(proxy.state.tunnels).toBeGreaterThan(1);
    expect(proxy.state.tunnels).toBe(h1.handshakes.length);
  });

  it('without the proxy the name does not resolve; a proxy that refuses the tunnel is a clear error', async () => {
    await expect((await clientOf(hidden())).request({ path: '/version' })).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const proxy = await connectProxy({});
    servers.push(proxy.server);
    const client = await clientOf(hidden(), { ...ca(), 'proxy-url': `http://127.0.0.1:${proxy.port}` });
    await expect(client.request({ path: '/version' })).rejects.toThrow(/did not open a tunnel to apiserver\.invalid:\d+: 502/);
  });

  it('a proxy that never answers costs one request timeout, as a server that hangs does', async () => {
    const silent = net.createServer(() => {});
    servers.push(await listen(silent));
    const client = await clientOf(hidden(), { ...ca(), 'proxy-url': `http://127.0.0.1:${portOf(silent)}` });
    await expect(client.request({ path: '/version', timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });
});

describe('HTTPS_PROXY / NO_PROXY (Go\'s rules; the kubeconfig proxy-url wins)', () => {
  it('HTTPS_PROXY carries a server that only the proxy can reach; NO_PROXY sends it direct', async () => {
    const proxy = await connectProxy(routes());
    servers.push(proxy.server);
    const env = { https_proxy: `127.0.0.1:${proxy.port}` }; // lower case, no scheme: as Go reads it
    expect(await (await clientOf(hidden(), ca(), { env })).request({ path: '/version' })).toMatchObject({ path: '/version' });
    expect(proxy.state.tunnels).toBe(1);
    const direct = await clientOf(hidden(), ca(), { env: { ...env, NO_PROXY: '10.0.0.0/8, .invalid' } });
    await expect(direct.request({ path: '/version' })).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(proxy.state.tunnels).toBe(1);
  });

  it('the kubeconfig proxy-url wins over HTTPS_PROXY', async () => {
    const named = await socksProxy(routes());
    const fromEnv = await connectProxy(routes());
    servers.push(named.server, fromEnv.server);
    const client = await clientOf(hidden(), { ...ca(), 'proxy-url': `socks5://127.0.0.1:${named.port}` }, { env: { HTTPS_PROXY: `http://127.0.0.1:${fromEnv.port}` } });
    await client.request({ path: '/version' });
    expect([named.state.tunnels, fromEnv.state.tunnels]).toEqual([1, 0]);
  });
});

describe('stored credentials (a ClientConfig\'s kubeconfig) checked from this machine', () => {
  it('go the way the data plane\'s context goes to the same server: its proxy-url, else HTTPS_PROXY', async () => {
    const proxy = await socksProxy(routes());
    const fromEnv = await connectProxy(routes());
    servers.push(proxy.server, fromEnv.server);
    const stored = JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'dp1',
      clusters: [{ name: 'dp1', cluster: { server: hidden(), ...ca() } }], users: [{ name: 'dp1', user: { token: 'stored' } }],
      contexts: [{ name: 'dp1', context: { cluster: 'dp1', user: 'dp1' } }] });
    const via = contextFor(hidden(), { ...ca(), 'proxy-url': `socks5://127.0.0.1:${proxy.port}` });
    await (await storedClient(stored, 'dp1', { retries: 0 }, via)).request({ path: '/stored' });
    expect(proxy.state.tunnels).toBe(1);
    await (await storedClient(stored, 'dp1', { retries: 0, env: { HTTPS_PROXY: `http://127.0.0.1:${fromEnv.port}` } }, contextFor(hidden()))).request({ path: '/stored' });
    expect(fromEnv.state.tunnels).toBe(1);
    expect(api.seen.filter((x) => x.path === '/stored').map((x) => x.headers.authorization)).toEqual(['Bearer stored', 'Bearer stored']);
  });
});

describe('an HTTP/2 connection that a load balancer dropped silently', () => {
  it('is found dead by an unanswered PING and replaced: the request after the freeze succeeds well before its timeout', async () => {
    const lb = await relay(api.port);
    servers.push(lb.server);
    const client = await clientOf(`https://127.0.0.1:${lb.port}`, ca(), { retries: 3, health: { readIdleMs: 200, pingTimeoutMs: 200 } });
    await client.request({ path: '/before' });
    lb.freeze();
    const started = Date.now();
    expect(await client.request({ path: '/after', timeoutMs: 20_000 })).toMatchObject({ path: '/after' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(lb.state.connections).toBe(2);
  });

  it('keeps an idle connection that answers its PINGs', async () => {
    const lb = await relay(api.port);
    servers.push(lb.server);
    const client = await clientOf(`https://127.0.0.1:${lb.port}`, ca(), { health: { readIdleMs: 100, pingTimeoutMs: 200 } });
    await client.request({ path: '/one' });
    await new Promise((r) => setTimeout(r, 700));
    await client.request({ path: '/two' });
    expect(lb.state.connections).toBe(1);
  });
});

describe('trust', () => {
  it('no CA in the kubeconfig: the system roots as Go finds them (SSL_CERT_FILE here)', async () => {
    const url = `https://127.0.0.1:${api.port}`;
    // A server URL with a path, as Rancher's kubeconfigs have (its publicly signed certificate: no CA in them).
    const client = await clientOf(`${url}/k8s/clusters/c-1`, {}, { env: { SSL_CERT_FILE: pki.file('ca.crt') } });
    expect(await client.request({ path: '/version' })).toMatchObject({ path: '/k8s/clusters/c-1/version' });
    const untrusted = await clientOf(url, {}, { env: { SSL_CERT_FILE: pki.file('root.crt') } });
    await expect(untrusted.request({ path: '/version' })).rejects.toThrow(/server certificate not trusted|UNABLE_TO_VERIFY/);
  });

  it('reads SSL_CERT_DIR and Go\'s bundle files', () => {
    const dir = path.join(pki.dir, 'certs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'a.pem'), pki.pem('ca.crt'));
    writeFileSync(path.join(dir, 'b.pem'), pki.pem('root.crt'));
    expect(systemRoots({ SSL_CERT_FILE: path.join(pki.dir, 'missing.pem'), SSL_CERT_DIR: `${dir}:/nonexistent` }, 'linux')).toHaveLength(2);
    expect(systemRoots({ SSL_CERT_FILE: pki.file('ca.crt') }, 'linux')).toEqual([pki.pem('ca.crt').toString().trim()]);
  });

  it('an intermediate CA in the kubeconfig is an anchor, as in Go', async () => {
    const leaf = await apiServer(keys('leaf'));
    servers.push(leaf.server);
    const client = await clientOf(`https://127.0.0.1:${leaf.port}`, { 'certificate-authority-data': pki.b64('intermediate.crt') });
    expect(await client.request({ path: '/version' })).toMatchObject({ path: '/version' });
  });

  it('insecure-skip-tls-verify next to a CA is refused (exit 2, with a hint), never silently insecure', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-insecure-'));
    const kubeconfig = path.join(dir, 'config');
    writeFileSync(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'k', cluster: { server: `https://127.0.0.1:${api.port}`, 'insecure-skip-tls-verify': true, ...ca() } }],
      users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }] }));
    const e = await connect({ kubeconfig, env: {}, contexts: ['c'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    expect(ExitCode[(e as CliError).exit]).toBe(2);
    expect((e as CliError).message).toMatch(/specifying a root certificates file with the insecure flag is not allowed/);
    expect((e as CliError).hint).toMatch(/remove insecure-skip-tls-verify/);
    expect(api.seen.some((s) => s.headers.authorization === 'Bearer t')).toBe(false);
  });
});

describe('in a pod without a kubeconfig (client-go rest.InClusterConfig)', () => {
  it('uses the service account: KUBERNETES_SERVICE_HOST/PORT, its token and CA, context "in-cluster"', async () => {
    const sa = mkdtempSync(path.join(tmpdir(), 'sa-'));
    writeFileSync(path.join(sa, 'token'), 'pod-token\n');
    writeFileSync(path.join(sa, 'ca.crt'), pki.pem('ca.crt'));
    writeFileSync(path.join(sa, 'namespace'), 'k8ssandra-operator');
    const env = { HOME: mkdtempSync(path.join(tmpdir(), 'home-')), KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
    const [cluster] = await connect({ env, contexts: [], serviceAccountDir: sa });
    expect(cluster!.ctx).toMatchObject({ name: IN_CLUSTER, server: `https://127.0.0.1:${api.port}`, namespace: 'k8ssandra-operator' });
    expect(await cluster!.client.request({ path: '/in-cluster' })).toMatchObject({ path: '/in-cluster' });
    expect(api.seen.find((s) => s.path === '/in-cluster')!.headers.authorization).toBe('Bearer pod-token');
    // Outside a pod (no service variables) it is the usual "no contexts" error.
    await expect(connect({ env: { HOME: env.HOME }, contexts: [], serviceAccountDir: sa })).rejects.toThrow(/no contexts in kubeconfig/);
  });
});

describe('headers (client-go\'s)', () => {
  const agent = /^k8ssandra\/v\d+\.\d+\.\d+\S* \((linux|darwin|windows)\/[a-z0-9]+\)$/;

  it.each([false, true])('User-Agent and gzip on every request, answers decoded (HTTP/1.1 only: %s)', async (http1Only) => {
    const server = http1Only ? await apiServer(keys('server'), { http1Only }) : api;
    if (http1Only) servers.push(server.server);
    const client = await clientOf(`https://127.0.0.1:${server.port}`);
    const answer = await client.request<{ path: string; padding: string }>({ path: '/gzip', method: 'PATCH', body: {} });
    expect(answer).toMatchObject({ path: '/gzip' });
    expect(answer.padding).toHaveLength(4096);
    const seen = server.seen.findLast((s) => s.path === '/gzip')!;
    expect(seen.headers['user-agent']).toMatch(agent);
    expect(seen.headers['accept-encoding']).toBe('gzip');
  });

  it('no Accept-Encoding with disable-compression: true', async () => {
    const client = await clientOf(`https://127.0.0.1:${api.port}`, { ...ca(), 'disable-compression': true });
    expect(await client.request({ path: '/plain' })).toMatchObject({ path: '/plain' });
    const seen = api.seen.findLast((s) => s.path === '/plain')!;
    expect(seen.headers['accept-encoding']).toBeUndefined();
    expect(seen.headers['user-agent']).toMatch(agent);
  });

  it('names the platform as Go does', () => {
    expect(formatUserAgent('1.2.3', 'linux', 'x64')).toBe('k8ssandra/v1.2.3 (linux/amd64)');
    expect(formatUserAgent('1.2.3', 'darwin', 'arm64')).toBe('k8ssandra/v1.2.3 (darwin/arm64)');
    expect(formatUserAgent('1.2.3', 'win32', 'x64')).toBe('k8ssandra/v1.2.3 (windows/amd64)');
  });
});
