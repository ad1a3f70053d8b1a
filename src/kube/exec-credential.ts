// The exec credential plugin protocol (client.authentication.k8s.io), as kubectl speaks it: which
// kubeconfig exec sections are valid, what the plugin is told (KUBERNETES_EXEC_INFO) and what its
// output must hold. Pure: running the plugin is exec-plugin.ts.
type Raw = Record<string, any>;

export const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
/** The cluster extension whose value a plugin receives as spec.cluster.config. */
const CLUSTER_EXTENSION = 'client.authentication.k8s.io/exec';

export type InteractiveMode = 'Never' | 'IfAvailable' | 'Always';

/** A kubeconfig `users[].user.exec`, checked as kubectl checks it. */
export interface ExecConfig {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  interactiveMode: InteractiveMode;
  provideClusterInfo: boolean;
  installHint?: string;
}

/** Why an exec section cannot be used (kubectl refuses the same), or the section as typed values. */
export function execConfig(exec: Raw): ExecConfig | string {
  if (typeof exec.command !== 'string' || !exec.command) return 'exec plugin has no command';
  if (!API_VERSIONS.includes(exec.apiVersion)) return `exec plugin has apiVersion "${exec.apiVersion ?? ''}"; expected one of ${API_VERSIONS.join(', ')}`;
  // v1beta1 defaults to IfAvailable; v1 must say (client-go's defaulting and validation).
  const mode = exec.interactiveMode ?? (exec.apiVersion.endsWith('/v1beta1') ? 'IfAvailable' : undefined);
  if (mode === undefined) return 'exec plugin (apiVersion client.authentication.k8s.io/v1) needs interactiveMode: Never, IfAvailable or Always';
  if (!['Never', 'IfAvailable', 'Always'].includes(mode)) return `exec plugin has interactiveMode "${mode}"; expected Never, IfAvailable or Always`;
  const env = (exec.env ?? []) as Raw[];
  if (env.some((e) => typeof e?.name !== 'string' || !e.name)) return 'exec plugin has an env entry without a name';
  return {
    command: exec.command,
    args: ((exec.args ?? []) as unknown[]).map(String),
    env: env.map((e) => ({ name: e.name, value: String(e.value ?? '') })),
    apiVersion: exec.apiVersion,
    interactiveMode: mode,
    provideClusterInfo: exec.provideClusterInfo === true,
    // kubectl strips terminal escapes from the hint: the kubeconfig is not trusted to colour our output.
    installHint: typeof exec.installHint === 'string' ? exec.installHint.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '') : undefined,
  };
}

/** Whether the plugin gets our stdin, or why it cannot run (client-go's isInteractive). */
export function interactivity(mode: InteractiveMode, stdin: { terminal: boolean; unavailable?: string }): boolean | string {
  if (mode === 'Never') return false;
  if (mode === 'IfAvailable') return stdin.terminal && !stdin.unavailable;
  if (!stdin.terminal) return 'the exec plugin needs a terminal (interactiveMode: Always), and standard input is not one';
  if (stdin.unavailable) return `the exec plugin needs a terminal (interactiveMode: Always), and standard input is unavailable: ${stdin.unavailable}`;
  return true;
}

/** spec.cluster as client-go fills it from the kubeconfig cluster (certificate-authority file already read). */
export function clusterInfo(cluster: Raw, caData: Buffer | undefined): Raw {
  const ext = (cluster.extensions as Raw[] | undefined)?.find((e) => e?.name === CLUSTER_EXTENSION)?.extension;
  return Object.fromEntries(Object.entries({
    server: cluster.server,
    'tls-server-name': cluster['tls-server-name'],
    'insecure-skip-tls-verify': cluster['insecure-skip-tls-verify'] === true || undefined,
    'certificate-authority-data': caData?.toString('base64'),
    'proxy-url': cluster['proxy-url'],
    'disable-compression': cluster['disable-compression'] === true || undefined,
    config: ext,
  }).filter(([, v]) => v !== undefined));
}

/** The KUBERNETES_EXEC_INFO a plugin reads. */
export function execInfo(c: ExecConfig, interactive: boolean, cluster: Raw | undefined): string {
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: c.apiVersion,
    spec: { interactive, ...(c.provideClusterInfo && cluster ? { cluster } : {}) } });
}

/** What a plugin gave: a token and/or a client certificate, and until when (undefined: until a 401). */
export interface PluginCredential {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  expiresAt?: number;
}

/** Reads a plugin's stdout with client-go's rules; a string says why it is unusable (never quoting it). */
export function readExecCredential(stdout: string, apiVersion: string): PluginCredential | string {
  let doc: Raw;
  try {
    doc = JSON.parse(stdout) as Raw;
  } catch {
    return 'the exec plugin printed something that is not an ExecCredential';
  }
  if (!doc || typeof doc !== 'object' || doc.kind !== 'ExecCredential') return 'the exec plugin printed something that is not an ExecCredential';
  if (doc.apiVersion !== apiVersion) return `the exec plugin is configured to use API version ${apiVersion}, and returned ${doc.apiVersion}`;
  const s = doc.status as Raw | undefined;
  if (!s) return 'the exec plugin returned no status';
  if (!s.token && !s.clientCertificateData && !s.clientKeyData) return 'the exec plugin returned neither a token nor a client certificate and key';
  if (!s.clientCertificateData !== !s.clientKeyData) return 'the exec plugin returned a client certificate without its key, or a key without its certificate';
  const expiresAt = s.expirationTimestamp ? Date.parse(s.expirationTimestamp) : undefined;
  if (Number.isNaN(expiresAt)) return 'the exec plugin returned an expirationTimestamp that is not a time';
  return {
    token: s.token || undefined,
    cert: s.clientCertificateData ? Buffer.from(s.clientCertificateData) : undefined,
    key: s.clientKeyData ? Buffer.from(s.clientKeyData) : undefined,
    expiresAt,
  };
}
