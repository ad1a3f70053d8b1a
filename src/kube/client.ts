import http from 'node:http';
import https from 'node:https';
import pRetry, { AbortError } from 'p-retry';
import { CliError, describe } from '../errors.js';
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
  /** Transient failures (429, 5xx, connection resets) are retried this many times with backoff. */
  retries?: number;
}

/** An answer of the API server that is not 2xx; `message` is the server's Status message, one line. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string, readonly context: string) {
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
}

export interface ClientOptions {
  timeoutMs?: number;
  /** Default retries of transient failures per request (3 unless a request says otherwise). */
  retries?: number;
  log?: (line: string) => void;
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/**
 * One client per context (client-node reads credentials from its *current* context at request time,
 * so a shared KubeConfig would send one cluster's credentials to another). client-node only supplies
 * authentication (certificates, tokens, exec plugins); requests are raw so nothing drops unknown fields.
 */
export async function createClient(ctx: ResolvedContext, opts: ClientOptions = {}): Promise<KubeClient> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromString(JSON.stringify(ctx.kubeconfig));
  return new RawClient(ctx, kc, opts);
}

class RawClient implements KubeClient {
  requestCount = 0;
  readonly context: string;
  readonly server: string;
  private agent?: http.Agent;

  constructor(ctx: ResolvedContext, private kc: import('@kubernetes/client-node').KubeConfig, private opts: ClientOptions) {
    this.context = ctx.name;
    this.server = ctx.server;
  }

  async request<T>(req: KubeRequest): Promise<T> {
    const retries = req.retries ?? this.opts.retries ?? 3;
    return pRetry(() => this.once<T>(req), {
      retries,
      minTimeout: 200,
      maxTimeout: 2000,
      shouldRetry: ({ error }) => isTransient(error),
    });
  }

  private async auth(): Promise<{ headers: Record<string, string>; agent: http.Agent }> {
    const o: https.RequestOptions = { headers: {} };
    try {
      await this.kc.applyToHTTPSOptions(o);
    } catch (e) {
      // Exec plugins and missing files fail here; the message is the plugin's stderr, never a credential.
      throw new AbortError(new ConnectError('ECREDENTIALS', `credentials for context ${this.context} could not be obtained: ${describe(e)}`, this.context));
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (o.auth) headers.Authorization = 'Basic ' + Buffer.from(o.auth).toString('base64');
    if (!this.agent) {
      const isHttps = this.server.startsWith('https:');
      this.agent = isHttps
        ? new https.Agent({ keepAlive: true, maxSockets: 16, ca: o.ca, cert: o.cert, key: o.key, pfx: o.pfx,
          passphrase: o.passphrase, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
    }
    return { headers, agent: this.agent };
  }

  private async once<T>(req: KubeRequest): Promise<T> {
    const { headers, agent } = await this.auth();
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const method = req.method ?? 'GET';
    const started = Date.now();
    this.requestCount++;
    const timeoutMs = req.timeoutMs ?? this.opts.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http;
      const r = mod.request(url, {
        method, agent,
        headers: { ...headers, Accept: req.accept ?? 'application/json',
          ...(body !== undefined ? { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // A deadline for the whole attempt (the socket's idle timeout is no bound: over TLS it fires late,
      // and a server that trickles bytes never trips it).
      timer = setTimeout(() => r.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      r.on('error', (e: NodeJS.ErrnoException) =>
        reject(new ConnectError(e.code ?? 'ECONNECT', `cannot reach ${this.server} (context ${this.context}): ${connectReason(e)}`, this.context)));
      if (body !== undefined) r.write(body);
      r.end();
    }).finally(() => clearTimeout(timer));
    this.opts.log?.(`${this.context}: ${method} ${url.pathname}${url.search} -> ${status} (${Date.now() - started} ms)`);
    if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
    throw apiError(status, text, this.context);
  }
}

function apiError(status: number, text: string, context: string): ApiError {
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
  return new ApiError(status, reason || String(status), message.split('\n')[0]!, context);
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

function isTransient(e: unknown): boolean {
  if (e instanceof ApiError) return TRANSIENT_STATUS.has(e.status);
  if (e instanceof ConnectError) return TRANSIENT_CODES.has(e.code);
  return false;
}

/** Turns a client failure into the user-facing error of the flow that hit it. */
export function toCliError(e: unknown, what: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ConnectError) {
    return new CliError('unreachable', `${what}: ${e.message}`, { context: e.context,
      hint: e.code === 'ECREDENTIALS' ? 'run the credential plugin by hand (kubectl get ns --context ' + e.context + ') to see why it fails'
        : 'check that the cluster is up and the kubeconfig server address is right' });
  }
  if (e instanceof ApiError) {
    if (e.status === 401) return new CliError('unreachable', `${what}: context ${e.context}: credentials rejected (401 Unauthorized)`,
      { context: e.context, hint: 'log in again or refresh the credentials of this context' });
    if (e.status === 403) return new CliError('checksFailed', `${what}: context ${e.context}: forbidden: ${e.message}`,
      { context: e.context, hint: 'the user needs more RBAC permissions (see README "Permissions")' });
    if (e.status === 409) return new CliError('conflict', `${what}: context ${e.context}: ${e.message}`,
      { context: e.context, hint: 'another field manager owns these fields; re-run with --force to take them over' });
    return new CliError('internal', `${what}: context ${e.context}: ${e.message} (${e.reason})`, { context: e.context });
  }
  return new CliError('internal', `${what}: ${describe(e)}`);
}
