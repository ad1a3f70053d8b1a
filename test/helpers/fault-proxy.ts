// A fault-injecting HTTPS proxy in front of one API server of the bed, for tests: it listens on
// 127.0.0.1, forwards every request to the bed's API server, and on a schedule answers 429/500/503
// (with Retry-After), stalls, resets the connection, delays, fakes an answer (e.g. /version), or
// refuses connections altogether (an API server that is down). It speaks HTTP/2, as kube-apiserver
// does (so the CLI's HTTP/2 streams meet the faults), and HTTP/1.1. Every request is logged with its
// time, so tests can check retries and backoff, and tests can act when a given request arrives
// (e.g. kill the CLI in the middle of a step).
//
// TLS: the bed's API servers serve the admin certificate of their kubeconfig (kwok's pki uses one
// certificate, valid for 127.0.0.1, for both), so the proxy serves that same certificate and a
// kubeconfig that trusts the bed's CA trusts the proxy. Upstream, a request that carries a token is
// forwarded with that token only; one from a client that presented a certificate is forwarded with
// the admin certificate; anything else is forwarded anonymously.
import { EventEmitter } from 'node:events';
import https from 'node:https';
import http2 from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { bedKubeconfig } from './bed.js';

export type Fault =
  | { status: number; retryAfter?: number; body?: unknown }
  | { stall: true }
  | { reset: true }
  | { delayMs: number }
  | { respond: (upstream: () => Promise<{ status: number; body: string }>) => Promise<{ status: number; body: unknown }> };

export interface FaultRule {
  method?: string;
  /** Matched against the path and query, e.g. /\/clientconfigs/. */
  path?: RegExp;
  fault: Fault;
  /** Let this many matching requests through untouched first. */
  after?: number;
  /** Apply the fault to this many matching requests (after `after`), then the rule is spent (default: all). */
  times?: number;
}

export interface ProxyRequest {
  at: number;
  method: string;
  path: string;
  /** The status answered, or what the proxy did instead. */
  outcome?: number | 'stalled' | 'reset';
  fault?: string;
}

interface Upstream { server: string; ca: Buffer; cert: Buffer; key: Buffer }

interface ActiveRule extends FaultRule { seen: number; applied: number }

export class FaultProxy extends EventEmitter {
  readonly log: ProxyRequest[] = [];
  private rules: ActiveRule[] = [];
  private sockets = new Set<Socket>();
  private server: http2.Http2SecureServer;
  private port = 0;
  private admin: https.Agent;
  private anonymous: https.Agent;

  private constructor(private upstream: Upstream) {
    super();
    this.admin = new https.Agent({ ca: upstream.ca, cert: upstream.cert, key: upstream.key, keepAlive: true });
    this.anonymous = new https.Agent({ ca: upstream.ca, keepAlive: true });
    this.server = http2.createSecureServer({ cert: upstream.cert, key: upstream.key, requestCert: true, rejectUnauthorized: false, allowHTTP1: true },
      (req, res) => void this.handle(req, res));
    this.server.on('connection', (s: Socket) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
  }

  /** Starts a proxy in front of the API server of `context` in the bed's kubeconfig. */
  static async start(context: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstreamOf(context));
    await proxy.listen();
    return proxy;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  add(...rules: FaultRule[]): this {
    this.rules.push(...rules.map((r) => ({ ...r, seen: 0, applied: 0 })));
    return this;
  }

  /** Drops every rule and forgets the log; stalled requests stay stalled until `close`. */
  reset(): this {
    this.rules = [];
    this.log.length = 0;
    return this;
  }

  requests(method?: string, pathRe?: RegExp): ProxyRequest[] {
    return this.log.filter((r) => (!method || r.method === method) && (!pathRe || pathRe.test(r.path)));
  }

  /** Requests that change the cluster: not reads, reviews or dry runs, and not the run lock (a Lease taken and given back). */
  writes(): ProxyRequest[] {
    return this.log.filter((r) => r.method !== 'GET' && !/selfsubject(access|rules)?reviews/.test(r.path) && !/[?&]dryRun=All/.test(r.path)
      && !/\/leases(\/k8ssandra-cli-lock)?(\?|$)/.test(r.path));
  }

  /** Resolves with the `count`-th request (already logged, or to come) that matches. */
  async next(method: string | undefined, pathRe: RegExp, opts: { count?: number; timeoutMs?: number } = {}): Promise<ProxyRequest> {
    const count = opts.count ?? 1;
    const hit = this.requests(method, pathRe)[count - 1];
    if (hit) return hit;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.off('request', on); reject(new Error(`fewer than ${count} ${method ?? ''} ${pathRe} within ${opts.timeoutMs ?? 180_000} ms`)); },
        opts.timeoutMs ?? 180_000);
      const on = (r: ProxyRequest) => {
        if (this.requests(method, pathRe).length >= count && (!method || r.method === method) && pathRe.test(r.path)) {
          clearTimeout(timer); this.off('request', on); resolve(r);
        }
      };
      this.on('request', on);
    });
  }

  /** An API server that is down: stop listening (connections are refused) and drop open connections. */
  async down(): Promise<void> {
    await new Promise<void>((resolve) => { this.server.close(() => resolve()); for (const s of this.sockets) s.destroy(); });
  }

  /** Back up, on the same port. */
  async up(): Promise<void> {
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.reset();
    await this.down().catch(() => {});
    this.admin.destroy();
    this.anonymous.destroy();
  }

  private listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private match(req: Request): ActiveRule | undefined {
    for (const r of this.rules) {
      if (r.method && r.method !== req.method) continue;
      if (r.path && !r.path.test(req.url ?? '')) continue;
      r.seen++;
      if (r.seen <= (r.after ?? 0)) continue;
      if (r.times !== undefined && r.applied >= r.times) continue;
      r.applied++;
      return r;
    }
    return undefined;
  }

  private async handle(req: Request, res: Response): Promise<void> {
    const entry: ProxyRequest = { at: Date.now(), method: req.method ?? 'GET', path: req.url ?? '/' };
    this.log.push(entry);
    const rule = this.match(req);
    const body = await readBody(req);
    this.emit('request', entry);
    const f = rule?.fault;
    if (f) entry.fault = JSON.stringify(f, (_k, v) => (typeof v === 'function' ? 'fn' : v));
    if (f && 'stall' in f) { entry.outcome = 'stalled'; return; }
    if (f && 'reset' in f) { entry.outcome = 'reset'; reset(req); return; }
    if (f && 'delayMs' in f) await new Promise((r) => setTimeout(r, f.delayMs));
    if (f && 'status' in f) {
      const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: f.status, reason: reasonOf(f.status), message: `injected ${f.status}` };
      return this.answer(res, entry, f.status, f.body ?? status, f.retryAfter !== undefined ? { 'Retry-After': String(f.retryAfter) } : {});
    }
    const forward = () => this.forward(req, body);
    if (f && 'respond' in f) {
      const r = await f.respond(async () => { const u = await forward(); return { status: u.status, body: u.body.toString('utf8') }; });
      return this.answer(res, entry, r.status, r.body);
    }
    try {
      const u = await forward();
      entry.outcome = u.status;
      res.writeHead(u.status, u.headers);
      res.end(u.body);
    } catch {
      entry.outcome = 'reset';
      reset(req);
    }
  }

  private answer(res: Response, entry: ProxyRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
    entry.outcome = status;
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  private forward(req: Request, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const token = req.headers.authorization;
    const presentedCert = !!(req.socket as TLSSocket).getPeerCertificate?.()?.raw;
    const headers: Record<string, string | string[]> = {};
    // HTTP/2's pseudo-headers (:method, :path, ...) are not headers of the HTTP/1.1 request upstream.
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !k.startsWith(':') && !['host', 'connection'].includes(k)) headers[k] = v;
    const url = new URL(this.upstream.server + (req.url ?? '/'));
    return new Promise((resolve, reject) => {
      const up = https.request(url, { method: req.method, headers, agent: token || !presentedCert ? this.anonymous : this.admin }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !['connection', 'transfer-encoding', 'keep-alive'].includes(k)) h[k] = v;
          resolve({ status: res.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });
  }
}

type Request = IncomingMessage | http2.Http2ServerRequest;
type Response = ServerResponse | http2.Http2ServerResponse;

/** A reset of this request alone: its HTTP/2 stream (RST_STREAM), or its HTTP/1.1 connection. */
function reset(req: Request): void {
  if ('stream' in req) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  else req.socket.destroy();
}

function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const reasonOf = (status: number) => ({ 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' } as Record<number, string>)[status] ?? 'Failure';

/** The bed kubeconfig as data. */
export function bedConfig(): any {
  return parse(readFileSync(bedKubeconfig(), 'utf8'));
}

function upstreamOf(context: string): Upstream {
  const doc = bedConfig();
  const ctx = doc.contexts.find((c: any) => c.name === context).context;
  const cluster = doc.clusters.find((c: any) => c.name === ctx.cluster).cluster;
  const user = doc.users.find((u: any) => u.name === ctx.user).user;
  const b64 = (s: string) => Buffer.from(s, 'base64');
  return { server: cluster.server, ca: b64(cluster['certificate-authority-data']), cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) };
}

/** The server address of a context of the bed (the real API server, not a proxy). */
export function bedServer(context: string): string {
  const doc = bedConfig();
  const ctx = doc.contexts.find((c: any) => c.name === context).context;
  return doc.clusters.find((c: any) => c.name === ctx.cluster).cluster.server;
}

/**
 * A copy of the bed kubeconfig in a temporary file, changed by `edit`; `proxies` point the named
 * contexts' clusters at fault proxies. Returns the file's path.
 */
export function writeKubeconfig(opts: { proxies?: Record<string, FaultProxy>; edit?: (doc: any) => void } = {}): string {
  const doc = bedConfig();
  for (const [context, proxy] of Object.entries(opts.proxies ?? {})) {
    const ctx = doc.contexts.find((c: any) => c.name === context).context;
    doc.clusters.find((c: any) => c.name === ctx.cluster).cluster.server = proxy.url;
  }
  opts.edit?.(doc);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'k8ssandra-kc-')), 'config');
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}
