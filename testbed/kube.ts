// A tiny HTTPS client for the bed's own API servers, built from a kubeconfig context (client-cert or
// token auth). The bed needs only a few calls (health, nodes, pod lists, pod status patches), and
// the podnet agent polls often: raw requests over a keep-alive agent are cheaper and more predictable
// than spawning kubectl or loading a full client library.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface KubeContext {
  name: string;
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type RawKubeconfig = {
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: Record<string, string> }[];
  users?: { name: string; user: Record<string, string> }[];
};

/** Inline `<field>-data` (base64) or the file named by `<field>`. */
function material(entry: Record<string, string>, field: string): Buffer | undefined {
  const data = entry[`${field}-data`];
  if (data) return Buffer.from(data, 'base64');
  const file = entry[field];
  return file ? readFileSync(file) : undefined;
}

/** Every context of a kubeconfig file, in file order. */
export function loadContexts(kubeconfigPath: string): KubeContext[] {
  const raw = parse(readFileSync(kubeconfigPath, 'utf8')) as RawKubeconfig;
  return (raw.contexts ?? []).map(({ name, context }) => {
    const cluster = raw.clusters?.find((c) => c.name === context.cluster)?.cluster;
    const user = raw.users?.find((u) => u.name === context.user)?.user ?? {};
    if (!cluster?.server) throw new Error(`kubeconfig ${kubeconfigPath}: context ${name} has no cluster server`);
    return {
      name,
      server: cluster.server,
      ca: material(cluster, 'certificate-authority'),
      cert: material(user, 'client-certificate'),
      key: material(user, 'client-key'),
      token: user.token,
    };
  });
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export class Kube {
  private readonly agent: Agent;

  constructor(readonly context: KubeContext) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 8, ca: context.ca, cert: context.cert, key: context.key });
  }

  /** Sends one request; resolves with the parsed JSON body (or text), rejects with KubeError on >= 400. */
  request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.context.server);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = opts.contentType ?? 'application/json';
    if (this.context.token) headers.Authorization = `Bearer ${this.context.token}`;
    return new Promise<T>((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* plain-text endpoints such as /readyz */
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const message = (body as { message?: string })?.message ?? text.trim();
            reject(new KubeError(status, `${method} ${url.pathname}: ${status} ${message}`));
          } else resolve(body as T);
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get<T = unknown>(path: string, timeoutMs?: number): Promise<T> {
    return this.request<T>('GET', path, { timeoutMs });
  }

  /** JSON merge patch (RFC 7386): lists given in the patch replace the server's lists. */
  mergePatch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body, contentType: 'application/merge-patch+json' });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs fn with a client and closes the client's sockets afterwards, whatever happened. */
export async function withClient<T>(kube: Kube, fn: (k: Kube) => Promise<T>): Promise<T> {
  try {
    return await fn(kube);
  } finally {
    kube.close();
  }
}
