// The client's connections to one API server, against real TLS servers on loopback that ask for client
// certificates, as kube-apiserver does. A server that speaks HTTP/2 (kube-apiserver does) gets one
// connection for every request; one that only speaks HTTP/1.1 (a proxy) gets a bounded number, all but
// the first resuming the first one's TLS session. Failures of HTTP/2 streams are retried as the
// retry policy says: a reset only when the request is idempotent, a refused stream always.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectError, createClient, type ClientOptions } from '../../src/kube/client.js';
import { MAX_CONNECTIONS, MAX_WRITES } from '../../src/kube/connection.js';

const dir = mkdtempSync(path.join(tmpdir(), 'client-tls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const b64 = (name: string) => readFileSync(file(name)).toString('base64');

beforeAll(() => {
  // A CA, a server certificate for 127.0.0.1 and a client certificate, as a kubeconfig holds them.
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
  for (const [name, subj, ext] of [['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'], ['client', '/CN=admin/O=system:masters', 'extendedKeyUsage=clientAuth']] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tlsOptions = () => ({ key: readFileSync(file('server.key')), cert: readFileSync(file('server.crt')), ca: readFileSync(file('ca.crt')),
  requestCert: true, rejectUnauthorized: true });

const clientOf = (url: string, opts: ClientOptions = {}) => createClient({ name: 't', clusterName: 't', server: url, kubeconfig: {
  clusters: [{ name: 't', cluster: { server: url, 'certificate-authority-data': b64('ca.crt') } }],
  users: [{ name: 't', user: { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') } }],
} }, opts);

async function listen(server: https.Server | http2.Http2SecureServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('an API server that speaks HTTP/2', () => {
  let server: http2.Http2SecureServer;
  let url: string;
  const handshakes: { resumed: boolean }[] = [];
  const seen: string[] = [];
  /** What the server does with a request, by path; default: answer it after 20 ms (so that requests overlap). */
  let behaviour: (path: string, n: number) => 'answer' | 'reset' | 'refuse' | 'stall' | 'goaway' | 'drop' | 'slow';
  /** Writes (not GET) being answered at this moment, and the most at once. */
  let writing = 0;
  let mostWriting = 0;
  const answeredAt = new Map<string, number>();

  beforeAll(async () => {
    server = http2.createSecureServer(tlsOptions());
    server.on('secureConnection', (s: TLSSocket) => handshakes.push({ resumed: s.isSessionReused() }));
    server.on('stream', (stream, headers) => {
      const p = String(headers[':path']);
      stream.on('error', () => {}); // the resets this server makes itself
      seen.push(`${headers[':method']} ${p}`);
      const what = behaviour(p, seen.filter((x) => x.endsWith(` ${p}`)).length);
      if (what === 'reset') return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      if (what === 'refuse') return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      if (what === 'stall') return;
      if (what === 'drop') return stream.session?.destroy(); // the connection drops with requests in flight
      if (what === 'goaway') {
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(JSON.stringify({ path: p }), () => stream.session?.close());
        return;
      }
      stream.on('data', () => {});
      const write = headers[':method'] !== 'GET';
      if (write) mostWriting = Math.max(mostWriting, ++writing);
      setTimeout(() => {
        if (write) writing--;
        answeredAt.set(p, Date.now());
        if (stream.closed) return;
        stream.respond({ ':status': 200, 'content-type': 'application/json' });
        stream.end(JSON.stringify({ path: p }));
      }, what === 'slow' ? 150 : 20);
    });
    url = await listen(server);
  });
  beforeEach(() => {
    handshakes.length = 0;
    seen.length = 0;
    behaviour = () => 'answer';
    writing = mostWriting = 0;
    answeredAt.clear();
  });
  afterAll(() => server?.close());

  it('carries every request of a client on one connection, with one TLS handshake', async () => {
    const client = await clientOf(url);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => client.request<{ path: string }>({ path: `/api/${i}` })));
    expect(answers.map((a) => a.path)).toEqual(Array.from({ length: 40 }, (_, i) => `/api/${i}`));
    expect(handshakes).toEqual([{ resumed: false }]);
    expect(seen).toHaveLength(40);
  });

  it(`has at most ${MAX_WRITES} writes in flight, while reads go at once`, async () => {
    behaviour = (p) => (p.startsWith('/write') ? 'slow' : 'answer');
    const client = await clientOf(url);
    await client.request({ path: '/first' });
    const writes = Array.from({ length: 12 }, (_, i) => client.request({ method: 'PATCH', path: `/write/${i}`, body: {} }));
    const reads = Array.from({ length: 10 }, (_, i) => client.request({ path: `/read/${i}` }));
    await Promise.all([...writes, ...reads]);
    expect(mostWriting).toBe(MAX_WRITES);
    const lastRead = Math.max(...Array.from({ length: 10 }, (_, i) => answeredAt.get(`/read/${i}`)!));
    const firstWrite = Math.min(...Array.from({ length: 12 }, (_, i) => answeredAt.get(`/write/${i}`)!));
    expect(lastRead).toBeLessThan(firstWrite);
  });

  it('sends a GET again when its stream is reset, and not a POST whose effect is unknown', async () => {
    behaviour = (p, n) => (p.startsWith('/reset') && n === 1 ? 'reset' : 'answer');
    const client = await clientOf(url);
    expect(await client.request<{ path: string }>({ path: '/reset-get' })).toEqual({ path: '/reset-get' });
    expect(seen.filter((s) => s === 'GET /reset-get')).toHaveLength(2);
    const post = client.request({ method: 'POST', path: '/reset-post', body: {} });
    await expect(post).rejects.toBeInstanceOf(ConnectError);
    await expect(post).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(seen.filter((s) => s === 'POST /reset-post')).toHaveLength(1);
  });

  it('sends a refused stream again, even a POST: the server did not act on it', async () => {
    behaviour = (p, n) => (n === 1 ? 'refuse' : 'answer');
    const client = await clientOf(url);
    expect(await client.request({ method: 'POST', path: '/refused', body: {} })).toEqual({ path: '/refused' });
    expect(seen.filter((s) => s === 'POST /refused')).toHaveLength(2);
  });

  it('connects again after the server closed the connection', async () => {
    behaviour = (p) => (p === '/last' ? 'goaway' : 'answer');
    const client = await clientOf(url);
    await client.request({ path: '/last' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await client.request({ path: '/after' })).toEqual({ path: '/after' });
    expect(handshakes).toHaveLength(2);
  });

  it('sends the requests again, on a new connection, when the connection drops under them', async () => {
    behaviour = (p, n) => (p === '/drop' && n === 1 ? 'drop' : 'answer');
    const client = await clientOf(url);
    await client.request({ path: '/first' });
    const answers = await Promise.all([client.request({ path: '/drop' }), ...Array.from({ length: 5 }, (_, i) => client.request({ path: `/with/${i}` }))]);
    expect(answers[0]).toEqual({ path: '/drop' });
    expect(seen.filter((x) => x === 'GET /drop')).toHaveLength(2);
    expect(handshakes).toHaveLength(2);
  });

  it('gives up on a stream that gets no answer, and the connection still serves the others', async () => {
    behaviour = (p) => (p === '/stall' ? 'stall' : 'answer');
    const client = await clientOf(url, { retries: 0 });
    await expect(client.request({ path: '/stall', timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(await client.request({ path: '/fine' })).toEqual({ path: '/fine' });
    expect(handshakes).toHaveLength(1);
  });

  it('names the timeout as set when a write that waited for its turn gets no answer (not the time left of it)', async () => {
    behaviour = (p) => (p.startsWith('/stall') ? 'stall' : 'answer');
    const client = await clientOf(url, { retries: 0 });
    await client.request({ path: '/first' });
    // MAX_WRITES stalled writes hold every turn: the last one waits, and its own time runs while it waits.
    const failures = await Promise.allSettled(Array.from({ length: MAX_WRITES + 1 }, (_, i) =>
      client.request({ method: 'PATCH', path: `/stall/${i}`, body: {}, timeoutMs: 300 })));
    expect(failures.map((f) => f.status === 'rejected' && (f.reason as Error).message.replace(/^.*: /, '')))
      .toEqual(Array(MAX_WRITES + 1).fill('no answer within 300 ms'));
  });

  it('stops a request when the command is interrupted', async () => {
    behaviour = (p) => (p === '/stall' ? 'stall' : 'answer');
    const interrupt = new AbortController();
    const client = await clientOf(url, { signal: interrupt.signal });
    const pending = client.request({ path: '/stall' });
    setTimeout(() => interrupt.abort(new Error('interrupted')), 100);
    await expect(pending).rejects.toThrow('interrupted');
  });
});

describe('an API server that hangs (it accepts connections and never answers)', () => {
  it('costs the requests asked at once one timeout together, and none of them is counted as sent', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = await clientOf(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { retries: 0 });
      const started = Date.now();
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => client.request({ path: `/api/${i}`, timeoutMs: 400 })));
      expect(results.map((r) => r.status === 'rejected' && (r.reason as ConnectError).code)).toEqual(Array(5).fill('ETIMEDOUT'));
      expect(Date.now() - started).toBeLessThan(400 * 5); // less than one timeout each
      expect(sockets).toHaveLength(1);
      expect(client.requestCount).toBe(0);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });
});

describe('an API server that speaks only HTTP/1.1', () => {
  let server: https.Server;
  let url: string;
  const handshakes: { resumed: boolean }[] = [];

  beforeAll(async () => {
    server = https.createServer(tlsOptions(), (req, res) => {
      // Slow enough that parallel requests overlap.
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ path: req.url })), 20);
    });
    server.on('secureConnection', (s: TLSSocket) => handshakes.push({ resumed: s.isSessionReused() }));
    url = await listen(server);
  });
  afterAll(() => server?.close());

  it(`opens at most ${MAX_CONNECTIONS}, and every one after the first resumes its TLS session`, async () => {
    const client = await clientOf(url);
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => client.request<{ path: string }>({ path: `/api/${i}` })));
    expect(answers.map((a) => a.path)).toEqual(Array.from({ length: 24 }, (_, i) => `/api/${i}`));
    expect(handshakes.length).toBeGreaterThan(1);
    expect(handshakes.length).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(handshakes[0]!.resumed).toBe(false);
    expect(handshakes.slice(1).every((h) => h.resumed)).toBe(true);
  });
});
