import { readFileSync } from 'node:fs';
import type https from 'node:https';
import type { ResolvedContext } from './kubeconfig.js';

/** What a request needs to authenticate: headers and TLS settings for the agent. */
export interface Credentials {
  headers: Record<string, string>;
  tls: Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
}

type Raw = Record<string, any>;

// Kubeconfig fields read here; any other (exec plugins, auth providers, impersonation) goes
// through @kubernetes/client-node, whose import alone costs more than a whole `status` run.
const STATIC_USER = new Set(['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'username', 'password']);
// proxy-url and disable-compression are the connection's business (connection.ts, client.ts), not credentials.
const STATIC_CLUSTER = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions',
  'proxy-url', 'disable-compression']);

const b64 = (s: string) => Buffer.from(s, 'base64');

/**
 * The credentials of a context whose kubeconfig holds them as data or files (tokens, client
 * certificates, basic auth), as kubectl reads them; undefined when something else must produce them.
 * Files were made absolute when the kubeconfig was resolved, and their existence checked.
 */
export function staticCredentials(ctx: ResolvedContext): Credentials | undefined {
  const cfg = ctx.kubeconfig as Raw;
  const cluster: Raw = cfg.clusters?.[0]?.cluster ?? {};
  const user: Raw = cfg.users?.[0]?.user ?? {};
  if (Object.keys(user).some((k) => !STATIC_USER.has(k)) || Object.keys(cluster).some((k) => !STATIC_CLUSTER.has(k))) return undefined;

  const read = (dataKey: string, fileKey: string, from: Raw) =>
    from[dataKey] ? b64(from[dataKey]) : from[fileKey] ? readFileSync(from[fileKey]) : undefined;
  const headers: Record<string, string> = {};
  const token = user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : undefined);
  if (token) headers.Authorization = `Bearer ${token}`;
  else if (user.username) headers.Authorization = 'Basic ' + Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64');
  return {
    headers,
    tls: {
      ca: read('certificate-authority-data', 'certificate-authority', cluster),
      cert: read('client-certificate-data', 'client-certificate', user),
      key: read('client-key-data', 'client-key', user),
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
      servername: cluster['tls-server-name'],
    },
  };
}

/**
 * Credentials from @kubernetes/client-node: exec plugins (EKS, GKE, OIDC helpers) and auth providers.
 * One KubeConfig per context, kept, so that client-node caches a plugin's token until it expires.
 */
export function pluginCredentials(ctx: ResolvedContext): () => Promise<Credentials> {
  let kc: Promise<import('@kubernetes/client-node').KubeConfig> | undefined;
  return async () => {
    kc ??= import('@kubernetes/client-node').then(({ KubeConfig }) => {
      const k = new KubeConfig();
      k.loadFromString(JSON.stringify(ctx.kubeconfig));
      return k;
    });
    const o: https.RequestOptions = { headers: {} };
    await (await kc).applyToHTTPSOptions(o);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (o.auth) headers.Authorization = 'Basic ' + Buffer.from(o.auth).toString('base64');
    return { headers, tls: { ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername } };
  };
}
