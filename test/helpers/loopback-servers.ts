// Servers on loopback for the client's connection tests: an API server that records what it is sent,
// an HTTP CONNECT proxy (http or https), a SOCKS5 proxy, and a relay that can stop forwarding (a load
// balancer that forgot a connection). The proxies route host names from a table, so that a name no
// DNS knows (apiserver.invalid) reaches a loopback port only through them; each counts its tunnels.
import dns from 'node:dns';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';

type Server = net.Server | http.Server | https.Server | http2.Http2SecureServer;
export const portOf = (s: Server) => (s.address() as AddressInfo).port;
const sockets = new WeakMap<Server, Set<net.Socket>>();
export async function listen<T extends Server>(server: T): Promise<T> {
  const open = new Set<net.Socket>();
  sockets.set(server, open);
  server.on('connection', (s: net.Socket) => { open.add(s); s.on('close', () => open.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
/** Closes a server and every connection it holds (a client's idle HTTP/2 session too). */
export const close = (s: Server) => new Promise<void>((resolve) => {
  s.close(() => resolve());
  for (const socket of sockets.get(s) ?? []) socket.destroy();
});

export interface Seen { method: string; path: string; headers: Record<string, string | string[] | undefined> }

/**
 * An API server (HTTP/2 with HTTP/1.1, or HTTP/1.1 only) that answers every request with
 * `{ path, padding }` (padding: enough to be worth compressing), gzipped when asked for.
 */
export async function apiServer(tlsOptions: { key: Buffer; cert: Buffer }, o: { http1Only?: boolean } = {}) {
  const seen: Seen[] = [];
  const handshakes: number[] = [];
  const answer = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const body = Buffer.from(JSON.stringify({ path: req.url, padding: 'x'.repeat(4096) }));
    const gzip = String(req.headers['accept-encoding'] ?? '').includes('gzip');
    res.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    res.end(gzip ? zlib.gzipSync(body) : body);
  };
  const server = o.http1Only ? https.createServer(tlsOptions, answer) : http2.createSecureServer({ ...tlsOptions, allowHTTP1: true }, answer);
  server.on('secureConnection', () => handshakes.push(Date.now()));
  await listen(server);
  return { server, seen, handshakes, port: portOf(server) };
}

/** Where a proxy sends a host:port it is asked for (unknown: refused). */
export type Routes = Record<string, number>;

/** An HTTP CONNECT proxy (over TLS when given keys); `tunnels` counts the tunnels it opened. */
export async function connectProxy(routes: Routes, tlsOptions?: { key: Buffer; cert: Buffer }) {
  const state = { tunnels: 0, authorization: [] as (string | undefined)[] };
  const server = tlsOptions ? https.createServer(tlsOptions) : http.createServer();
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    state.authorization.push(req.headers['proxy-authorization']);
    const port = routes[req.url ?? ''];
    if (!port) return client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    state.tunnels++;
    const upstream = net.connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await listen(server);
  return { server, state, port: portOf(server) };
}

/** A SOCKS5 proxy (no authentication) that resolves names itself from `routes`, as a bastion's proxy does. */
export async function socksProxy(routes: Routes) {
  const state = { tunnels: 0, names: [] as string[] };
  const server = net.createServer((client) => {
    client.on('error', () => {});
    client.once('data', (hello) => {
      if (hello[0] !== 5) return client.destroy();
      client.write(Buffer.from([5, 0]));
      client.once('data', (req) => {
        // VER CMD RSV ATYP ADDR PORT; ATYP 3: a name, resolved here (socks5h).
        const atyp = req[3];
        const host = atyp === 3 ? req.subarray(5, 5 + req[4]!).toString() : atyp === 1 ? [...req.subarray(4, 8)].join('.') : '';
        const port = req.readUInt16BE(req.length - 2);
        state.names.push(`${host}:${port}`);
        const to = routes[`${host}:${port}`];
        const reply = (code: number) => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
        if (!to) return client.end(reply(4)); // host unreachable
        state.tunnels++;
        const upstream = net.connect(to, '127.0.0.1', () => {
          client.write(reply(0));
          upstream.pipe(client).pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
      });
    });
  });
  await listen(server);
  return { server, state, port: portOf(server) };
}

/**
 * A TCP relay to a port: `freeze()` makes every connection open now swallow what it is sent in both
 * directions (a load balancer or NAT that dropped it without telling anyone); later connections work.
 */
export async function relay(to: number) {
  const state = { connections: 0 };
  const open: { frozen: boolean }[] = [];
  const server = net.createServer((client) => {
    state.connections++;
    const c = { frozen: false };
    open.push(c);
    const upstream = net.connect(to, '127.0.0.1');
    client.on('data', (d) => { if (!c.frozen) upstream.write(d); });
    upstream.on('data', (d) => { if (!c.frozen) client.write(d); });
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await listen(server);
  return { server, state, port: portOf(server), freeze: () => open.forEach((c) => { c.frozen = true; }) };
}

/**
 * Name resolution for the tests: loopback names and addresses resolve as usual, every other name
 * fails at once as unknown. No query leaves the machine, and a client that dials apiserver.invalid
 * directly (not through its proxy) fails with ENOTFOUND.
 */
export function loopbackOnlyDns(): () => void {
  const real = dns.lookup;
  const guarded = ((host: string, ...rest: unknown[]) => {
    const done = rest[rest.length - 1] as (e: Error | null) => void;
    if (host === 'localhost' || net.isIP(host)) return (real as (...a: unknown[]) => void)(host, ...rest);
    process.nextTick(() => done(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host })));
  }) as typeof dns.lookup;
  (dns as { lookup: typeof dns.lookup }).lookup = guarded;
  return () => { (dns as { lookup: typeof dns.lookup }).lookup = real; };
}
