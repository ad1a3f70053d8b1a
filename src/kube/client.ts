import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, describe } from '../errors.js';
import { pluginCredentials, staticCredentials, type Credentials } from './auth.js';
import type { ResolvedContext } from './kubeconfig.js';

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Accept header (default application/json), e.g. to list metadata only. */
  accept?: string;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Transient failures (429, 5xx, connection resets, timeouts) are retried this many times with backoff. */
  retries?: number;
  /**
   * Whether sending the request twice is harmless. GET, PUT, PATCH (server-side apply) and DELETE are;
   * a POST only when its caller says so (a TokenRequest or an access review persists nothing). A request
   * that is not idempotent is retried only when the server certainly did not act on it (429, refused).
   */
  idempotent?: boolean;
}

/** An answer of the API server that is not 2xx; `message` is the server's Status message, one line. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string, readonly context: string,
    /** The server's Retry-After (429, 503), in milliseconds. */
    readonly retryAfterMs?: number) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A failure to reach the server at all (refused, reset, timed out, TLS, credentials plugin). */
export class ConnectError extends Error {
  constructor(readonly code: string, message: string, readonly context: string) {
    super(message);
    this.name = 'ConnectError';
  }
}

export interface KubeClient {
  readonly context: string;
  readonly server: string;
  request<T = any>(req: KubeRequest): Promise<T>;
  /** Requests sent so far (for benchmarks and the report). */
  readonly requestCount: number;
  /** Aborts the client's requests and the waits that poll through it (Ctrl-C). */
  readonly signal?: AbortSignal;
  /**
   * The same cluster and credentials without the command's interruption and deadline: for the cleanup
   * that must still run after Ctrl-C or a timeout (the caller bounds it with a deadline of its own).
   */
  detached(): KubeClient;
}

export interface ClientOptions {
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number;
  /** Default retries of transient failures per request (3 unless a request says otherwise). */
  retries?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** No attempt or retry runs past this time (ms since epoch): the command's --timeout. */
  deadline?: number;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
export const DEFAULT_RETRIES = 10;
/**
 * No retry starts later than this after a request's first attempt: long enough to ride through an API
 * server restart (a managed control plane upgrade, a crashed apiserver), short enough that a server
 * that stays down fails the command in well under a minute. The command's deadline still wins.
 */
export const RETRY_WINDOW_MS = 30_000;
/**
 * Connections per cluster: requests beyond this wait for a free one. On loopback and in a region a
 * request takes milliseconds, so four carry the tool's bursts (eight applies in flight, parallel
 * lists); every further connection would cost a TLS handshake on both ends.
 */
export const MAX_CONNECTIONS = 4;
/** A server that asks for a longer pause than this is treated as down rather than waited for. */
const MAX_RETRY_AFTER_MS = 10_000;

/**
 * How long to wait before sending a failed request again, or undefined when it must not be: after
 * `retries` attempts, for errors that are not transient, and for a non-idempotent request whose
 * effect is unknown. Backoff doubles from 250 ms up to 4 s (250, 500, 1000, 2000, 4000, 4000, ...); a
 * Retry-After of the server is honoured when it asks for longer.
 */
export function retryDelay(e: unknown, attempt: number, req: Pick<KubeRequest, 'method' | 'idempotent'>, retries = DEFAULT_RETRIES): number | undefined {
  if (attempt >= retries) return undefined;
  const idempotent = req.idempotent ?? (req.method ?? 'GET') !== 'POST';
  const backoff = Math.min(250 * 2 ** attempt, 4000);
  if (e instanceof ApiError) {
    if (!TRANSIENT_STATUS.has(e.status)) return undefined;
    if (!idempotent && e.status !== 429) return undefined; // 429: the server did not act on it
    if (e.retryAfterMs !== undefined && e.retryAfterMs > MAX_RETRY_AFTER_MS) return undefined;
    return Math.max(backoff, e.retryAfterMs ?? 0);
  }
  if (e instanceof ConnectError) {
    if (!TRANSIENT_CODES.has(e.code)) return undefined;
    if (!idempotent && e.code !== 'ECONNREFUSED') return undefined; // refused: nothing was sent
    return backoff;
  }
  return undefined;
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Static credentials are read once; plugin credentials are asked for per request (client-node caches them). */
function credentialSource(ctx: ResolvedContext): () => Promise<Credentials> {
  let fixed: Promise<Credentials | undefined> | undefined;
  const plugin = pluginCredentials(ctx);
  return async () => (await (fixed ??= Promise.resolve().then(() => staticCredentials(ctx)))) ?? plugin();
}

/**
 * One client per context, each with its own credentials. Requests are raw HTTP, so nothing drops
 * unknown fields; @kubernetes/client-node is loaded only for exec plugins and auth providers.
 */
export async function createClient(ctx: ResolvedContext, opts: ClientOptions = {}): Promise<KubeClient> {
  return new RawClient(ctx, opts);
}

class RawClient implements KubeClient {
  requestCount = 0;
  readonly context: string;
  readonly server: string;
  readonly signal?: AbortSignal;
  private agent?: http.Agent;
  private credentials: () => Promise<Credentials>;
  private firstAnswer?: Promise<void>;

  constructor(private ctx: ResolvedContext, private opts: ClientOptions, credentials?: () => Promise<Credentials>) {
    this.context = ctx.name;
    this.server = ctx.server;
    this.signal = opts.signal;
    this.credentials = credentials ?? credentialSource(ctx);
  }

  detached(): KubeClient {
    const d = new RawClient(this.ctx, { ...this.opts, signal: undefined, deadline: undefined }, this.credentials);
    d.agent = this.agent;
    d.firstAnswer = this.firstAnswer;
    return d;
  }

  /**
   * Sends a request. The client's first request goes alone: the others wait for its answer, so that
   * their connections resume its TLS session instead of each making a full handshake (with the client
   * certificate's signature), which on ten clusters cost the client and the API servers more CPU than
   * the requests themselves.
   */
  async request<T>(req: KubeRequest): Promise<T> {
    if (this.firstAnswer) {
      await this.firstAnswer;
      return this.send<T>(req);
    }
    let answered!: () => void;
    this.firstAnswer = new Promise<void>((resolve) => { answered = resolve; });
    try {
      return await this.send<T>(req);
    } finally {
      answered();
    }
  }

  /** Sends a request, retrying transient failures with backoff, never past the deadline or an interruption. */
  private async send<T>(req: KubeRequest): Promise<T> {
    const retries = req.retries ?? this.opts.retries ?? DEFAULT_RETRIES;
    const deadline = this.opts.deadline ?? Infinity;
    const retryUntil = Math.min(deadline, Date.now() + RETRY_WINDOW_MS);
    for (let attempt = 0; ; attempt++) {
      this.signal?.throwIfAborted();
      try {
        return await this.once<T>(req, deadline);
      } catch (e) {
        this.signal?.throwIfAborted();
        const delay = retryDelay(e, attempt, req, retries);
        if (delay === undefined || Date.now() + delay >= retryUntil) throw e;
        this.opts.log?.(`${this.context}: ${req.method ?? 'GET'} ${req.path} failed (${describe(e)}); retry ${attempt + 1}/${retries} in ${delay} ms`);
        await sleep(delay, undefined, { signal: this.signal }).catch(() => { throw this.signal?.reason; });
      }
    }
  }

  private async auth(): Promise<{ headers: Record<string, string>; agent: http.Agent }> {
    let c: Credentials;
    try {
      c = await this.credentials();
    } catch (e) {
      // Exec plugins and unreadable files fail here; the message is the plugin's stderr, never a credential.
      const why = describe(e).trim() || 'the credential plugin failed without a message';
      throw new ConnectError('ECREDENTIALS', `credentials for context ${this.context} could not be obtained: ${why}`, this.context);
    }
    this.agent ??= this.server.startsWith('https:')
      ? new https.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS, ...c.tls, secureContext: secureContext(c.tls) })
      : new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS });
    return { headers: c.headers, agent: this.agent };
  }

  private async once<T>(req: KubeRequest, deadline: number): Promise<T> {
    const { headers, agent } = await this.auth();
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const method = req.method ?? 'GET';
    const started = Date.now();
    const left = deadline - started;
    if (left <= 0) throw this.deadlineError();
    this.requestCount++;
    const perAttempt = req.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    const timeoutMs = Math.min(perAttempt, left);
    let timer: NodeJS.Timeout | undefined;
    const { status, text, retryAfter } = await new Promise<{ status: number; text: string; retryAfter?: string }>((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http;
      const r = mod.request(url, {
        method, agent, signal: this.signal,
        headers: { ...headers, Accept: req.accept ?? 'application/json',
          ...(body !== undefined ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }));
        res.on('error', reject);
      });
      // A deadline for the whole attempt (the socket's idle timeout is no bound: over TLS it fires late,
      // and a server that trickles bytes never trips it).
      timer = setTimeout(() => r.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (this.signal?.aborted) return reject(this.signal.reason);
        if (e.code === 'ETIMEDOUT' && timeoutMs < perAttempt) return reject(this.deadlineError());
        reject(new ConnectError(e.code ?? 'ECONNECT', `cannot reach ${this.server} (context ${this.context}): ${connectReason(e)}`, this.context));
      });
      if (body !== undefined) r.write(body);
      r.end();
    }).finally(() => clearTimeout(timer));
    this.opts.log?.(`${this.context}: ${method} ${url.pathname}${url.search} -> ${status} (${Date.now() - started} ms)`);
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
    throw apiError(status, text, this.context, parseRetryAfter(retryAfter));
  }

  private deadlineError(): ConnectError {
    return new ConnectError('EDEADLINE', `no answer from ${this.server} (context ${this.context}) before the deadline`, this.context);
  }
}

/**
 * One TLS context per client: given only ca/cert/key, Node builds a context (parsing every PEM) for each
 * new connection, which on ten clusters cost more CPU than the requests themselves.
 */
function secureContext(t: Credentials['tls']): tls.SecureContext {
  return tls.createSecureContext({ ca: t.ca, cert: t.cert, key: t.key });
}

function apiError(status: number, text: string, context: string, retryAfterMs?: number): ApiError {
  let reason = '';
  let message = '';
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    reason = s.reason ?? '';
    message = s.message ?? '';
  } catch {
    message = text.slice(0, 200);
  }
  if (!message) message = `HTTP ${status}`;
  return new ApiError(status, reason || String(status), message.split('\n')[0]!, context, retryAfterMs);
}

function connectReason(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ETIMEDOUT': return e.message;
    case 'ENOTFOUND': return 'host name not found';
    case 'ECONNRESET': return 'connection reset';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': return `TLS: server certificate not trusted (${e.code})`;
    default: return e.code ? `${e.code}` : describe(e);
  }
}

/** Turns a client failure into the user-facing error of the flow that hit it. */
export function toCliError(e: unknown, what: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ConnectError) {
    if (e.code === 'EDEADLINE') return new CliError('timeout', `${what}: ${e.message}`, { context: e.context, hint: 'raise --timeout, or check why the API server is slow' });
    return new CliError('unreachable', `${what}: ${e.message}`, { context: e.context,
      hint: e.code === 'ECREDENTIALS' ? 'run the credential plugin by hand (kubectl get ns --context ' + e.context + ') to see why it fails'
        : 'check that the cluster is up and the kubeconfig server address is right' });
  }
  if (e instanceof ApiError) {
    if (e.status === 401) return new CliError('unreachable', `${what}: context ${e.context}: credentials rejected (401 Unauthorized)`,
      { context: e.context, hint: 'log in again or refresh the credentials of this context' });
    if (e.status === 403) return new CliError('checksFailed', `${what}: context ${e.context}: forbidden: ${e.message}`,
      { context: e.context, hint: 'the user needs more RBAC permissions (see README "Permissions")' });
    if (e.status === 429 || e.status >= 500) {
      return new CliError('unreachable', `${what}: context ${e.context}: the API server kept answering ${e.status} ${e.reason}: ${e.message}`,
        { context: e.context, hint: 'the API server is overloaded or unhealthy (retried with backoff); run the same command again later' });
    }
    if (e.status === 409) return new CliError('conflict', `${what}: context ${e.context}: ${e.message}`,
      { context: e.context, hint: 'another field manager owns these fields; re-run with --force to take them over' });
    return new CliError('internal', `${what}: context ${e.context}: ${e.message} (${e.reason})`, { context: e.context });
  }
  return new CliError('internal', `${what}: ${describe(e)}`);
}
