import { readFileSync } from 'node:fs';
import type https from 'node:https';
import type { PluginCredential } from './exec-credential.js';
import { ExecPlugins, type RunBound } from './exec-plugin.js';
import { impersonationHeaders } from './impersonation.js';
import type { ResolvedContext } from './kubeconfig.js';
import { tokenFileReader } from './token-file.js';

/** What a request needs to authenticate: headers (a list: one header line each) and TLS settings. */
export interface Credentials {
  headers: Record<string, string | string[]>;
  tls: Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
}

/** Where a client's credentials come from, asked before each request. */
export interface CredentialSource {
  current(bound: RunBound): Promise<Credentials>;
  /**
   * The API server answered 401 to a request sent with `used`: forgets them when asking again can give
   * others (an exec plugin runs again), and says whether sending the request again is worth it.
   */
  rejected(used: Credentials): boolean;
}

export interface AuthOptions {
  /** The command's exec plugins, shared by its clients (a client alone gets its own, without a terminal). */
  plugins?: ExecPlugins;
  /** How long a tokenFile's content is used before it is read again (client-go: 1 minute). */
  tokenFilePeriodMs?: number;
}

type Raw = Record<string, any>;

// Kubeconfig fields read here; any other (auth providers) goes through @kubernetes/client-node,
// whose import alone costs more than a whole `status` run.
const OWN_USER = new Set(['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'username', 'password',
  'exec', 'as', 'as-uid', 'as-groups', 'as-user-extra']);
// proxy-url and disable-compression are the connection's business (connection.ts, client.ts), not credentials.
const OWN_CLUSTER = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions',
  'proxy-url', 'disable-compression']);

const b64 = (s: string) => Buffer.from(s, 'base64');

/**
 * The credentials of a context as kubectl makes them: tokens (a tokenFile re-read every minute), client
 * certificates, basic auth, impersonation, and exec plugins; auth providers through client-node.
 * Files were made absolute when the kubeconfig was resolved, and their existence checked.
 */
export function credentialSource(ctx: ResolvedContext, opts: AuthOptions = {}): CredentialSource {
  const cfg = ctx.kubeconfig as Raw;
  const cluster: Raw = cfg.clusters?.[0]?.cluster ?? {};
  const user: Raw = cfg.users?.[0]?.user ?? {};
  if (Object.keys(user).some((k) => !OWN_USER.has(k)) || Object.keys(cluster).some((k) => !OWN_CLUSTER.has(k))) return clientNodeSource(ctx);

  const read = (dataKey: string, fileKey: string, from: Raw) =>
    from[dataKey] ? b64(from[dataKey]) : from[fileKey] ? readFileSync(from[fileKey]) : undefined;
  const tls: Credentials['tls'] = {
    ca: read('certificate-authority-data', 'certificate-authority', cluster),
    cert: read('client-certificate-data', 'client-certificate', user),
    key: read('client-key-data', 'client-key', user),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    servername: cluster['tls-server-name'],
  };
  const impersonate = impersonationHeaders(user);
  const token = user.token ? () => String(user.token) : user.tokenFile ? tokenFileReader(user.tokenFile, opts.tokenFilePeriodMs) : undefined;
  if (token) token(); // a token file that cannot be read fails here, before any request
  const basic = user.username ? 'Basic ' + Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64') : undefined;
  // Like kubectl, a plugin runs only when the kubeconfig gives no credential of its own. A client made
  // outside a command (tests) gets plugins of its own with the process's environment.
  const plugin = user.exec && !token && !basic && !tls.cert
    ? (opts.plugins ?? new ExecPlugins({ env: process.env })).for(ctx.name, user.exec, cluster, tls.ca as Buffer | undefined) : undefined;

  if (!plugin) {
    return {
      current: async () => {
        const t = token?.();
        return { headers: { ...impersonate, ...(t ? { Authorization: `Bearer ${t}` } : basic ? { Authorization: basic } : {}) }, tls };
      },
      rejected: () => false,
    };
  }
  // The Credentials made from each plugin credential, so that a 401 names the credential it was sent with.
  const made = new WeakMap<Credentials, PluginCredential>();
  let last: { from: PluginCredential; creds: Credentials } | undefined;
  return {
    current: async (bound) => {
      const p = await plugin.current(bound);
      if (last?.from !== p) {
        const creds = { headers: { ...impersonate, ...(p.token ? { Authorization: `Bearer ${p.token}` } : {}) }, tls: p.cert ? { ...tls, cert: p.cert, key: p.key } : tls };
        made.set(creds, p);
        last = { from: p, creds };
      }
      return last.creds;
    },
    rejected: (used) => {
      const p = made.get(used);
      if (p) plugin.rejected(p);
      return true;
    },
  };
}

/**
 * Credentials from @kubernetes/client-node: auth providers (the legacy `auth-provider` section) and
 * kubeconfig fields we do not read ourselves. One KubeConfig per context, kept.
 */
function clientNodeSource(ctx: ResolvedContext): CredentialSource {
  let kc: Promise<import('@kubernetes/client-node').KubeConfig> | undefined;
  return {
    current: async () => {
      kc ??= import('@kubernetes/client-node').then(({ KubeConfig }) => {
        const k = new KubeConfig();
        k.loadFromString(JSON.stringify(ctx.kubeconfig));
        return k;
      });
      const o: https.RequestOptions = { headers: {} };
      await (await kc).applyToHTTPSOptions(o);
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(o.headers ?? {})) if (typeof v === 'string' || Array.isArray(v)) headers[k] = v;
      if (o.auth) headers.Authorization = 'Basic ' + Buffer.from(o.auth).toString('base64');
      return { headers, tls: { ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername } };
    },
    rejected: () => false,
  };
}
