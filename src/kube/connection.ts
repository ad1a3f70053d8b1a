import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import pLimit from 'p-limit';
import type { Credentials } from './auth.js';
import { dialThrough } from './proxy-dial.js';
import { secureContextFor } from './trust.js';

/** One request on the wire: what the client has decided (path, headers with credentials, body, time). */
export interface Exchange {
  method: string;
  url: URL;
  /** A list is sent as one header line per value (Impersonate-Group). */
  headers: Record<string, string | string[]>;
  body?: string;
  timeoutMs: number;
  /** The timeout as set, for messages: a write's timeoutMs is what is left of it once its turn comes. */
  limitMs?: number;
  signal?: AbortSignal;
}

/** What opening a connection needs of the request that opens it: its time and its interruption. */
type Attempt = Pick<Exchange, 'timeoutMs' | 'signal'>;

export interface Answer { status: number; text: string; retryAfter?: string }
/** An answer as it came off the wire, perhaps compressed. */
type RawAnswer = Omit<Answer, 'text'> & { body: Buffer; encoding?: string };

/** How a connection is made and kept, beyond the cluster's address and TLS settings. */
export interface ConnectionOptions {
  /** Dial through this proxy (the kubeconfig's proxy-url, or the environment's HTTPS_PROXY). */
  proxy?: URL;
  /** The environment: SSL_CERT_FILE and SSL_CERT_DIR, for a cluster without a CA. */
  env?: NodeJS.ProcessEnv;
  /** The HTTP/2 health check (default HEALTH). */
  health?: Health;
}

/**
 * client-go's HTTP/2 health check (ReadIdleTimeout, PingTimeout): after readIdleMs without reading
 * anything, a PING; no answer within pingTimeoutMs and the connection is dropped. A load balancer or
 * NAT that forgot an idle connection swallows what is sent on it: without this, the next request
 * would wait for its whole timeout, and every one after it again.
 */
export interface Health { readIdleMs: number; pingTimeoutMs: number }
export const HEALTH: Health = { readIdleMs: 30_000, pingTimeoutMs: 15_000 };

/**
 * HTTP/1.1 connections per cluster, for a server that does not speak HTTP/2: requests beyond this wait
 * for a free one. Four carry the tool's bursts; every further connection would cost a TLS handshake.
 */
export const MAX_CONNECTIONS = 4;
/**
 * Writes in flight per cluster over HTTP/2 (reads are not limited): as many as the HTTP/1.1 connections
 * carry. A write can cost the API server seconds of CPU (every CRD write recompiles the CRD's schemas);
 * ten clusters' installs with every apply in flight at once made servers sharing a machine answer
 * later than the request timeout.
 */
export const MAX_WRITES = MAX_CONNECTIONS;
/** Receive window of an HTTP/2 connection: a CRD list of a few MB arrives without waiting for window updates. */
const WINDOW = 16 << 20;
/** A stream the server refused (RST_STREAM REFUSED_STREAM, or beyond a GOAWAY): it was not acted on. */
export const REFUSED_STREAM = 'EREFUSEDSTREAM';

/**
 * How a client reaches its API server. Over TLS the first request opens one connection that offers
 * HTTP/2 and HTTP/1.1; kube-apiserver picks HTTP/2 (client-go's default too), and then every request of
 * the run is a stream on that one connection: one TLS handshake per cluster and no request waits for a
 * free connection. A server that only speaks HTTP/1.1 (a proxy in front of the API server) gets up to
 * MAX_CONNECTIONS keep-alive connections: that first one, and others that resume its TLS session.
 * Failures are Node's errors with their `code` (ECONNREFUSED, ETIMEDOUT, ECONNRESET, REFUSED_STREAM,
 * TLS codes); the client turns them into its own.
 */
export class Connection {
  private session?: http2.ClientHttp2Session;
  private agent?: http.Agent;
  private opening?: Promise<void>;
  private streams = 0;
  private writes = pLimit(MAX_WRITES);
  /** HTTP/1.1: answered once the first request is, so that the other connections can resume its TLS session. */
  private firstAnswer?: Promise<void>;
  private readonly secureContext?: tls.SecureContext;
  /** Closed by the client: a request that still holds it is not sent on it (and is retried on the new one). */
  private closed = false;
  /** When the HTTP/2 session last read anything we saw (an answer's headers or data, a PING's answer). */
  private lastRead = 0;

  constructor(private readonly server: string, private readonly tlsOptions: Credentials['tls'], private readonly opts: ConnectionOptions = {}) {
    // One TLS context per connection: given only ca/cert/key, Node parses every PEM for each new socket.
    if (server.startsWith('https:')) this.secureContext = secureContextFor(tlsOptions, opts.env);
  }

  /**
   * Opens the connection unless one is open; concurrent requests share one attempt (a server that hangs
   * costs them one timeout together). After it, a request goes on the wire.
   */
  async ready(x: Attempt): Promise<void> {
    if (this.closed) throw notSent('the connection was closed for new client credentials');
    if (this.session && (this.session.closed || this.session.destroyed)) this.session = undefined;
    if (!this.session && !this.agent) await (this.opening ??= this.open(x).finally(() => { this.opening = undefined; }));
  }

  async send(x: Exchange): Promise<Answer> {
    const { body, encoding, ...rest } = await this.exchange(x);
    // Go's transport asks for gzip and decodes it; the API server compresses large answers.
    return { ...rest, text: (encoding === 'gzip' ? await gunzip(body) : body).toString('utf8') };
  }

  private async exchange(x: Exchange): Promise<RawAnswer> {
    await this.ready(x);
    if (this.session) {
      if (x.method === 'GET') return this.viaHttp2(this.session, x);
      // The attempt's time runs from here, also while the write waits for its turn.
      const until = Date.now() + x.timeoutMs;
      return this.writes(() => this.viaHttp2(this.session ?? this.gone(), { ...x, timeoutMs: Math.max(1, until - Date.now()), limitMs: x.timeoutMs }));
    }
    if (!this.secureContext) return this.viaHttp1(x); // plain HTTP: no TLS session to share
    if (this.firstAnswer) {
      await this.firstAnswer;
      return this.viaHttp1(x);
    }
    let answered!: () => void;
    this.firstAnswer = new Promise<void>((resolve) => { answered = resolve; });
    try {
      return await this.viaHttp1(x);
    } finally {
      answered();
    }
  }

  /**
   * Takes no new requests; the ones in flight finish. The client opens another connection when the
   * client certificate changes (an exec plugin rotated it), as client-go does.
   */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
    this.agent?.destroy();
    this.agent = undefined;
  }

  /** Connects, and keeps what the server chose: an HTTP/2 session, or HTTP/1.1 connections (the first one this). */
  private async open(x: Attempt): Promise<void> {
    const url = new URL(this.server);
    if (url.protocol !== 'https:') {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS });
      // Through an http proxy Go would forward plain requests; a tunnel carries them as well.
      if (this.opts.proxy) this.tunnelled(this.agent, (_, tunnel) => tunnel);
      return;
    }
    const socket = await this.connectTls(url, x);
    if (socket.alpnProtocol === 'h2') this.session = this.http2Session(socket);
    else this.agent = this.http1Agent(socket);
  }

  private async connectTls(url: URL, x: Attempt): Promise<tls.TLSSocket> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    // The attempt's time and interruption, for the tunnel and the handshake together.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(timedOut(x.timeoutMs)), x.timeoutMs);
    const interrupted = () => stop.abort(x.signal!.reason);
    x.signal?.addEventListener('abort', interrupted, { once: true });
    try {
      // A proxy cut short by the attempt's end fails as the attempt does (timed out, interrupted).
      const tunnel = await this.tunnel(host, port, { timeoutMs: x.timeoutMs, signal: stop.signal })
        .catch((e: unknown) => { throw stop.signal.aborted ? stop.signal.reason : e; });
      return await new Promise((resolve, reject) => {
        const socket = tls.connect({ host, port, socket: tunnel, secureContext: this.secureContext,
          rejectUnauthorized: this.tlsOptions.rejectUnauthorized !== false,
          servername: this.tlsOptions.servername ?? (net.isIP(host) ? undefined : host), ALPNProtocols: ['h2', 'http/1.1'] });
        const fail = (e: Error) => { stop.signal.removeEventListener('abort', abort); socket.destroy(); reject(e); };
        const abort = () => fail(stop.signal.reason as Error);
        if (stop.signal.aborted) return abort();
        stop.signal.addEventListener('abort', abort, { once: true });
        socket.once('error', fail);
        socket.once('secureConnect', () => {
          stop.signal.removeEventListener('abort', abort);
          socket.off('error', fail);
          resolve(socket);
        });
      });
    } finally {
      clearTimeout(timer);
      x.signal?.removeEventListener('abort', interrupted);
    }
  }

  /** A tunnel to host:port through the proxy, or undefined to dial directly. */
  private tunnel(host: string, port: number, o: { timeoutMs: number; signal: AbortSignal }): Promise<net.Socket | undefined> {
    if (!this.opts.proxy) return Promise.resolve(undefined);
    return dialThrough(this.opts.proxy, host, port, { ...o, tls: { secureContext: this.secureContext, rejectUnauthorized: this.tlsOptions.rejectUnauthorized !== false } });
  }

  /** Makes an agent's further connections go through the proxy: `wrap` puts TLS (or nothing) over each tunnel. */
  private tunnelled(agent: http.Agent, wrap: (o: tls.ConnectionOptions, tunnel: net.Socket) => net.Socket): void {
    (agent as unknown as { createConnection: unknown }).createConnection = (o: tls.ConnectionOptions & { timeout?: number }, done: (e: Error | null, s?: net.Socket) => void) => {
      const host = String(o.host ?? '').replace(/^\[|\]$/g, '');
      this.tunnel(host, Number(o.port), { timeoutMs: o.timeout ?? 30_000, signal: new AbortController().signal })
        .then((t) => done(null, wrap(o, t!)), (e: Error) => done(e));
    };
  }

  private http2Session(socket: tls.TLSSocket): http2.ClientHttp2Session {
    const session = http2.connect(this.server, { createConnection: () => socket, settings: { initialWindowSize: WINDOW } });
    this.watch(session);
    const forget = () => { if (this.session === session) this.session = undefined; };
    // A failed or closed connection fails its open streams (each with its own error); the next request reconnects.
    session.on('error', forget);
    session.on('close', forget);
    session.on('goaway', forget);
    session.once('connect', () => { try { session.setLocalWindowSize(WINDOW); } catch { /* a smaller window only slows large lists */ } });
    session.unref();
    return session;
  }

  /** The health check (see Health): its timers never keep the process alive. */
  private watch(session: http2.ClientHttp2Session): void {
    const { readIdleMs, pingTimeoutMs } = this.opts.health ?? HEALTH;
    this.lastRead = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const later = (ms: number) => { timer = setTimeout(check, ms).unref(); };
    const check = () => {
      const idle = Date.now() - this.lastRead;
      if (idle < readIdleMs) return later(readIdleMs - idle);
      const dead = setTimeout(() => session.destroy(Object.assign(new Error(`the connection did not answer a PING within ${pingTimeoutMs} ms`), { code: 'ECONNRESET' })),
        pingTimeoutMs).unref();
      const sent = session.ping((e) => {
        clearTimeout(dead);
        if (e) return; // the session closed meanwhile
        this.lastRead = Date.now();
        later(readIdleMs);
      });
      if (!sent) clearTimeout(dead);
    };
    later(readIdleMs);
    session.once('close', () => clearTimeout(timer));
  }

  private http1Agent(first: tls.TLSSocket): https.Agent {
    const agent = new https.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS, ...this.tlsOptions, secureContext: this.secureContext });
    let spare: tls.TLSSocket | undefined = first;
    let ticket: Buffer | undefined;
    first.on('session', (s: Buffer) => { ticket = s; });
    if (this.opts.proxy) this.tunnelled(agent, (o, tunnel) => tls.connect({ ...o, socket: tunnel }));
    // The connection that asked for HTTP/2 carries the first request; the others resume its TLS session.
    const create = agent.createConnection.bind(agent) as (o: tls.ConnectionOptions, cb?: unknown) => net.Socket;
    (agent as unknown as { createConnection: typeof create }).createConnection = (o, cb) => {
      if (spare && !spare.destroyed) {
        const s = spare;
        spare = undefined;
        return s;
      }
      return create(ticket && !o.session ? { ...o, session: ticket } : o, cb);
    };
    return agent;
  }

  /** A write that waited its turn on a connection that has since closed: it was never sent. */
  private gone(): never {
    throw notSent('the connection closed before the request was sent');
  }

  private viaHttp1(x: Exchange): Promise<RawAnswer> {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<RawAnswer>((resolve, reject) => {
      const mod = x.url.protocol === 'https:' ? https : http;
      const r = mod.request(x.url, { method: x.method, agent: this.agent, signal: x.signal, headers: x.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), encoding: res.headers['content-encoding'], retryAfter: res.headers['retry-after'] }));
        res.on('error', reject);
      });
      // A deadline for the whole attempt (the socket's idle timeout is no bound: over TLS it fires late,
      // and a server that trickles bytes never trips it).
      timer = setTimeout(() => r.destroy(timedOut(x.timeoutMs)), x.timeoutMs);
      r.on('error', (e) => reject(x.signal?.aborted ? x.signal.reason : e));
      if (x.body !== undefined) r.write(x.body);
      r.end();
    }).finally(() => clearTimeout(timer));
  }

  private viaHttp2(session: http2.ClientHttp2Session, x: Exchange): Promise<RawAnswer> {
    return new Promise<RawAnswer>((resolve, reject) => {
      if (x.signal?.aborted) return reject(x.signal.reason); // interrupted while it waited for its turn
      const headers: http2.OutgoingHttpHeaders = { ':method': x.method, ':path': x.url.pathname + x.url.search };
      for (const [k, v] of Object.entries(x.headers)) headers[k.toLowerCase()] = v;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(headers, { endStream: x.body === undefined });
      } catch (e) {
        // The connection went away before this request left: nothing was sent, it can be sent again.
        if (this.session === session) this.session = undefined;
        return reject(notSent(`the connection closed before the request was sent (${(e as Error).message})`));
      }
      if (this.streams++ === 0) session.ref();
      let status = 0;
      let retryAfter: string | undefined;
      let encoding: string | undefined;
      const chunks: Buffer[] = [];
      let settled = false;
      const settle = (e: unknown, answer?: RawAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        x.signal?.removeEventListener('abort', abort);
        if (--this.streams === 0) session.unref();
        if (answer) resolve(answer);
        else {
          if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
          reject(e);
        }
      };
      const abort = () => settle(x.signal!.reason);
      const timer = setTimeout(() => settle(timedOut(x.limitMs ?? x.timeoutMs)), x.timeoutMs);
      x.signal?.addEventListener('abort', abort, { once: true });
      stream.on('response', (h) => {
        this.lastRead = Date.now();
        status = Number(h[':status']);
        const ra = h['retry-after'];
        retryAfter = Array.isArray(ra) ? ra[0] : ra;
        encoding = h['content-encoding'];
      });
      stream.on('data', (c: Buffer) => { this.lastRead = Date.now(); chunks.push(c); });
      // An end without response headers is a stream the connection's end cut short, not an answer.
      stream.on('end', () => settle(status ? undefined : streamError(undefined, stream.rstCode),
        status ? { status, body: Buffer.concat(chunks), encoding, retryAfter } : undefined));
      stream.on('error', (e) => settle(streamError(e, stream.rstCode)));
      // Closed without an answer and without an error: reset by the server (or its connection went away).
      stream.on('close', () => { if (!settled) settle(streamError(undefined, stream.rstCode)); });
      if (x.body !== undefined) stream.end(x.body);
    });
  }
}

/**
 * An HTTP/2 stream failure as a socket-like error: refused streams were not acted on (safe to send
 * again, even a POST); anything else is a reset whose effect is unknown, as a dropped HTTP/1.1 connection.
 */
function streamError(e: (Error & { code?: string; cause?: { code?: string } }) | undefined, rstCode: number | undefined): Error {
  if (rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) {
    return notSent('the server refused the stream (not acted on)');
  }
  const code = e?.cause?.code ?? (e?.code && !e.code.startsWith('ERR_HTTP2') ? e.code : 'ECONNRESET');
  return Object.assign(new Error(e?.message ?? `stream reset (HTTP/2 error code ${rstCode ?? 'unknown'})`), { code });
}

const gunzip = promisify(zlib.gunzip);

/** A request given up after `ms` without an answer (retried as a timeout). */
const timedOut = (ms: number) => Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' });

/** A request the server certainly did not act on: safe to send again, even a POST. */
const notSent = (message: string) => Object.assign(new Error(message), { code: REFUSED_STREAM });
