import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, describe } from '../errors.js';
import { credentialSource, type AuthOptions, type Credentials, type CredentialSource } from './auth.js';
import { Connection, REFUSED_STREAM, type Health } from './connection.js';
import { clusterOf, type ResolvedContext } from './kubeconfig.js';
import { proxyForCluster } from './proxy-choice.js';
import { userAgent } from './user-agent.js';

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
  constructor(readonly code: string, message: string, readonly context: string, readonly hint?: string) {
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
  /** Exec plugins shared with the command's other clients, the token file period. */
  auth?: AuthOptions;
  /** The host's environment: HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE, ... (none read without it). */
  env?: NodeJS.ProcessEnv;
  /** The HTTP/2 health check's intervals (client-go's by default). */
  health?: Health;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_SOCKET', REFUSED_STREAM]);
/** Failures where the server certainly did not act on the request: safe to send again, even a POST. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', REFUSED_STREAM]);
export const DEFAULT_RETRIES = 10;
/**
 * No retry starts later than this after a request's first attempt: long enough to ride through an API
 * server restart (a managed control plane upgrade, a crashed apiserver), short enough that a server
 * that stays down fails the command in well under a minute. The command's deadline still wins.
 */
export const RETRY_WINDOW_MS = 30_000;
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
    if (!idempotent && !NOT_SENT_CODES.has(e.code)) return undefined; // refused: nothing was acted on
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

/** Node's timers fire at once beyond this (about 24.8 days): "no timeout" is this long. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * One client per context, each with its own credentials. Requests are raw HTTP, so nothing drops
 * unknown fields; @kubernetes/client-node is loaded only for auth providers.
 */
export async function createClient(ctx: ResolvedContext, opts: ClientOptions = {}): Promise<KubeClient> {
  const cluster = clusterOf(ctx);
  let proxy: URL | undefined;
  try {
    proxy = proxyForCluster(cluster['proxy-url'], ctx.server, opts.env);
  } catch (e) {
    throw new CliError('usage', `context ${ctx.name}: ${describe(e)}`, { context: ctx.name, hint: 'unset HTTP_PROXY, or reach the cluster over https' });
  }
  // client-go asks for gzip unless the cluster says disable-compression.
  const compression = cluster['disable-compression'] !== true;
  return new RawClient(ctx, opts, { proxy, compression });
}

/** How a client talks to its cluster beyond credentials: decided once, from the kubeconfig and the environment. */
interface Wire { proxy?: URL; compression: boolean }

class RawClient implements KubeClient {
  requestCount = 0;
  readonly context: string;
  readonly server: string;
  readonly signal?: AbortSignal;
  private connection?: Connection;
  /** The client certificate the connection was opened with: another one needs a new connection. */
  private connectedWith?: Credentials['tls'];
  private source?: CredentialSource;

  constructor(private ctx: ResolvedContext, private opts: ClientOptions, private wire: Wire, source?: CredentialSource) {
    this.context = ctx.name;
    this.server = ctx.server;
    this.signal = opts.signal;
    this.source = source;
  }

  detached(): KubeClient {
    const d = new RawClient(this.ctx, { ...this.opts, signal: undefined, deadline: undefined }, this.wire, this.source);
    d.connection = this.connection;
    d.connectedWith = this.connectedWith;
    return d;
  }

  /** Read when first needed: a kubeconfig file that cannot be read fails the first request, naming the context. */
  private credentials(): CredentialSource {
    return this.source ??= credentialSource(this.ctx, this.opts.auth);
  }

  /** Sends a request, retrying transient failures with backoff, never past the deadline or an interruption. */
  async request<T>(req: KubeRequest): Promise<T> {
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

  /** The request's timeout: 0 (--request-timeout 0) is none, as in kubectl. */
  private perAttemptMs(req: KubeRequest): number {
    const ms = req.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    return ms > 0 ? ms : Infinity;
  }

  private async auth(req: KubeRequest, deadline: number): Promise<Credentials> {
    try {
      return await this.credentials().current({ timeoutMs: this.perAttemptMs(req), deadline, signal: this.signal });
    } catch (e) {
      if (this.signal?.aborted) throw this.signal.reason;
      if (e instanceof CliError) throw e; // a kubeconfig kubectl refuses too
      // Exec plugins and unreadable files fail here; the message is the plugin's stderr, never a credential.
      const why = describe(e).trim() || 'the credential plugin failed without a message';
      const { hint, atDeadline } = e as { hint?: string; atDeadline?: boolean };
      throw new ConnectError(atDeadline ? 'EDEADLINE' : 'ECREDENTIALS', `credentials for context ${this.context} could not be obtained: ${why}`, this.context, hint);
    }
  }

  /** The connection for these credentials: a plugin that hands out a new client certificate gets a new one (client-go too). */
  private connectionFor(c: Credentials): Connection {
    const old = this.connectedWith;
    const same = (a?: unknown, b?: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
    if (this.connection && old && !(same(old.cert, c.tls.cert) && same(old.key, c.tls.key))) {
      this.connection.close();
      this.connection = undefined;
    }
    if (!this.connection) {
      this.connection = new Connection(this.server, c.tls, { proxy: this.wire.proxy, env: this.opts.env, health: this.opts.health });
      this.connectedWith = c.tls;
    }
    return this.connection;
  }

  /** One attempt; a 401 with credentials that a plugin can renew is sent once more with the renewed ones. */
  private async once<T>(req: KubeRequest, deadline: number): Promise<T> {
    const used = await this.auth(req, deadline);
    try {
      return await this.send<T>(req, deadline, used);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401 && this.credentials().rejected(used))) throw e;
      this.opts.log?.(`${this.context}: credentials rejected (401); asking the credential plugin again`);
      return this.send<T>(req, deadline, await this.auth(req, deadline));
    }
  }

  private async send<T>(req: KubeRequest, deadline: number, c: Credentials): Promise<T> {
    const connection = this.connectionFor(c);
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const method = req.method ?? 'GET';
    const started = Date.now();
    const left = deadline - started;
    if (left <= 0) throw this.deadlineError();
    const perAttempt = this.perAttemptMs(req);
    const timeoutMs = Math.min(perAttempt, left, NO_TIMEOUT_MS);
    const exchange = { method, url, body, timeoutMs, signal: this.signal,
      headers: { ...c.headers, Accept: req.accept ?? 'application/json', 'User-Agent': userAgent(),
        ...(this.wire.compression ? { 'Accept-Encoding': 'gzip' } : {}),
        ...(body !== undefined ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}) } };
    let answer;
    try {
      await connection.ready(exchange);
      this.requestCount++; // sent: requests that found no connection never reached the server
      answer = await connection.send(exchange);
    } catch (e) {
      if (this.signal?.aborted) throw this.signal.reason;
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ETIMEDOUT' && timeoutMs < perAttempt) throw this.deadlineError();
      throw new ConnectError(err.code ?? 'ECONNECT', `cannot reach ${this.server} (context ${this.context}): ${connectReason(err)}`, this.context);
    }
    const { status, text, retryAfter } = answer;
    this.opts.log?.(`${this.context}: ${method} ${url.pathname}${url.search} -> ${status} (${Date.now() - started} ms)`);
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
    throw apiError(status, text, this.context, parseRetryAfter(retryAfter));
  }

  private deadlineError(): ConnectError {
    return new ConnectError('EDEADLINE', `no answer from ${this.server} (context ${this.context}) before the deadline`, this.context);
  }
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
    case REFUSED_STREAM: return 'the server refused the request (overloaded or shutting down)';
    case 'EPROXY': return e.message;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY': return `TLS: server certificate not trusted (${e.code})`;
    default: return e.code ? `${e.code}` : describe(e);
  }
}

/** Turns a client failure into the user-facing error of the flow that hit it. */
export function toCliError(e: unknown, what: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ConnectError) {
    if (e.code === 'EDEADLINE') return new CliError('timeout', `${what}: ${e.message}`, { context: e.context, hint: 'raise --timeout, or check why the API server is slow' });
    return new CliError('unreachable', `${what}: ${e.message}`, { context: e.context,
      hint: e.hint ?? (e.code === 'ECREDENTIALS' ? 'run the credential plugin by hand (kubectl get ns --context ' + e.context + ') to see why it fails'
        : 'check that the cluster is up and the kubeconfig server address is right') });
  }
  if (e instanceof ApiError) {
    // Something another actor did while this run worked (another run, someone with kubectl): not a bug of ours.
    const meanwhile = e.status === 404 || (e.status === 403 && /being terminated/.test(e.message))
      || (e.status === 409 && !/conflict with|Apply failed/.test(e.message));
    if (meanwhile) return new CliError('conflict', `${what}: context ${e.context}: ${e.message} (changed by someone else while this run worked)`,
      { context: e.context, hint: 'another k8ssandra run or another client deleted or changed it meanwhile: run the same command again' });
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
