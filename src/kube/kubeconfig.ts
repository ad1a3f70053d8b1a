import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { CliError, usageError } from '../errors.js';
import { closest } from '../util/closest.js';

/** A named entry of a kubeconfig, as written in the file (kebab-case keys). */
interface Named<T> { name: string; value: T; file: string }
type Raw = Record<string, unknown>;

export interface MergedKubeconfig {
  files: string[];
  currentContext?: string;
  contexts: Map<string, Named<Raw>>;
  clusters: Map<string, Named<Raw>>;
  users: Map<string, Named<Raw>>;
}

/** One resolved context: everything needed to talk to its cluster, as a single-context kubeconfig. */
export interface ResolvedContext {
  name: string;
  clusterName: string;
  server: string;
  namespace?: string;
  /** A complete kubeconfig holding only this context, with every file path made absolute. */
  kubeconfig: Raw;
}

/** Which files kubectl would read: --kubeconfig, else every KUBECONFIG entry, else ~/.kube/config. */
export function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (explicit) {
    if (!existsSync(explicit)) {
      throw usageError(`kubeconfig file ${explicit} does not exist`, 'check the --kubeconfig path');
    }
    return [path.resolve(explicit)];
  }
  if (env.KUBECONFIG) {
    // kubectl skips entries that do not exist and keeps the order: the first file wins.
    const listed = env.KUBECONFIG.split(path.delimiter).filter(Boolean);
    return [...new Set(listed.map((f) => path.resolve(f)))].filter((f) => existsSync(f));
  }
  const home = env.HOME ?? homedir();
  const def = path.join(home, '.kube', 'config');
  return existsSync(def) ? [def] : [];
}

/** Merges kubeconfig files with kubectl's rules: first file wins for every name and for current-context. */
export function loadKubeconfig(files: string[]): MergedKubeconfig {
  const merged: MergedKubeconfig = { files, contexts: new Map(), clusters: new Map(), users: new Map() };
  for (const file of files) mergeDocument(merged, readFileSync(file, 'utf8'), file, path.dirname(file));
  return merged;
}

/**
 * A kubeconfig held as text rather than in a file (the Secret of a ClientConfig), read with the same
 * rules; `source` names it in error messages.
 */
export function parseKubeconfig(text: string, source: string): MergedKubeconfig {
  const merged: MergedKubeconfig = { files: [source], contexts: new Map(), clusters: new Map(), users: new Map() };
  mergeDocument(merged, text, source, process.cwd());
  return merged;
}

function mergeDocument(merged: MergedKubeconfig, text: string, file: string, dir: string): void {
  let doc: Raw;
  try {
    doc = (parse(text) ?? {}) as Raw;
  } catch (e) {
    throw usageError(`kubeconfig ${file} is not valid YAML (${(e as Error).message.split('\n')[0]})`,
      'fix the file or point --kubeconfig / KUBECONFIG elsewhere');
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw usageError(`kubeconfig ${file} is not a kubeconfig (expected a mapping)`, 'check the file');
  }
  if (!merged.currentContext && typeof doc['current-context'] === 'string' && doc['current-context']) {
    merged.currentContext = doc['current-context'];
  }
  addEntries(merged.clusters, doc.clusters, 'cluster', file, (c) => absolutize(c, dir, ['certificate-authority']));
  addEntries(merged.users, doc.users, 'user', file, (u) => absolutizeUser(u, dir));
  addEntries(merged.contexts, doc.contexts, 'context', file, (c) => c);
}

function addEntries(into: Map<string, Named<Raw>>, list: unknown, key: string, file: string, fix: (v: Raw) => Raw) {
  if (list == null) return;
  if (!Array.isArray(list)) throw usageError(`kubeconfig ${file}: "${key}s" is not a list`, 'check the file');
  for (const item of list as Raw[]) {
    const name = item?.name;
    const value = item?.[key] as Raw | undefined;
    if (typeof name !== 'string' || !name) throw usageError(`kubeconfig ${file}: a ${key} has no name`, 'check the file');
    if (!into.has(name)) into.set(name, { name, value: fix({ ...(value ?? {}) }), file });
  }
}

function absolutize(v: Raw, dir: string, keys: string[]): Raw {
  for (const k of keys) {
    const p = v[k];
    if (typeof p === 'string' && p && !path.isAbsolute(p)) v[k] = path.join(dir, p);
  }
  return v;
}

function absolutizeUser(u: Raw, dir: string): Raw {
  absolutize(u, dir, ['client-certificate', 'client-key', 'tokenFile']);
  const exec = u.exec as Raw | undefined;
  // kubectl resolves an exec command relative to the kubeconfig only when it names a path.
  if (exec && typeof exec.command === 'string' && exec.command.includes('/') && !path.isAbsolute(exec.command)) {
    u.exec = { ...exec, command: path.join(dir, exec.command) };
  }
  return u;
}

/** Resolves each named context, or the current one when none are named; errors name the nearest match. */
export function resolveContexts(cfg: MergedKubeconfig, names: string[]): ResolvedContext[] {
  if (cfg.contexts.size === 0) {
    const where = cfg.files.length ? cfg.files.join(', ') : 'no kubeconfig file found (KUBECONFIG, ~/.kube/config)';
    throw usageError(`no contexts in kubeconfig: ${where}`, 'pass --kubeconfig FILE or set KUBECONFIG');
  }
  const wanted = names.length ? names : cfg.currentContext ? [cfg.currentContext] : [];
  if (!wanted.length) throw usageError('no context given and the kubeconfig has no current-context', 'pass --contexts a,b,c');
  const seen = new Set<string>();
  return wanted.map((name) => {
    if (seen.has(name)) throw usageError(`context ${name} is named twice`, 'name each context once in --contexts');
    seen.add(name);
    return resolveOne(cfg, name);
  });
}

function resolveOne(cfg: MergedKubeconfig, name: string): ResolvedContext {
  const ctx = cfg.contexts.get(name);
  if (!ctx) {
    const near = closest(name, [...cfg.contexts.keys()]);
    throw usageError(`context "${name}" not found in kubeconfig`,
      near ? `did you mean "${near}"? (kubectl config get-contexts lists them)` : 'kubectl config get-contexts lists them');
  }
  const clusterName = String(ctx.value.cluster ?? '');
  const userName = String(ctx.value.user ?? '');
  const cluster = cfg.clusters.get(clusterName);
  if (!cluster) throw usageError(`context ${name} refers to cluster "${clusterName}", which is not in the kubeconfig`, 'fix the context or add the cluster');
  const server = cluster.value.server;
  if (typeof server !== 'string' || !server) throw usageError(`cluster ${clusterName} (context ${name}) has no server address`, 'set clusters[].cluster.server');
  const user = userName ? cfg.users.get(userName) : undefined;
  if (userName && !user) throw usageError(`context ${name} refers to user "${userName}", which is not in the kubeconfig`, 'fix the context or add the user');
  for (const [k, v] of [['certificate-authority', cluster.value['certificate-authority']],
    ['client-certificate', user?.value['client-certificate']], ['client-key', user?.value['client-key']],
    ['tokenFile', user?.value.tokenFile]] as const) {
    if (typeof v === 'string' && v && !existsSync(v)) {
      throw new CliError('usage', `context ${name}: ${k} file ${v} does not exist`, { hint: 'fix the path in the kubeconfig', context: name });
    }
  }
  checkClusterTls(name, clusterName, cluster.value);
  const namespace = typeof ctx.value.namespace === 'string' ? ctx.value.namespace : undefined;
  return {
    name,
    clusterName,
    server: server.replace(/\/$/, ''),
    namespace,
    kubeconfig: {
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': name,
      clusters: [{ name: clusterName, cluster: cluster.value }],
      users: [{ name: userName || 'anonymous', user: user?.value ?? {} }],
      contexts: [{ name, context: { ...ctx.value, user: userName || 'anonymous' } }],
    },
  };
}

/** The cluster entry of a resolved context, as written in the kubeconfig. */
export const clusterOf = (ctx: Pick<ResolvedContext, 'kubeconfig'>): Raw =>
  ((ctx.kubeconfig.clusters as { cluster?: Raw }[] | undefined)?.[0]?.cluster ?? {});

/**
 * What client-go refuses before it dials: a CA together with insecure-skip-tls-verify (one of them is a
 * mistake, and guessing which would be either insecure or a failure later), and a proxy-url of a
 * scheme it cannot speak.
 */
function checkClusterTls(name: string, clusterName: string, c: Raw): void {
  if (c['insecure-skip-tls-verify'] === true && (c['certificate-authority'] || c['certificate-authority-data'])) {
    throw new CliError('usage', `context ${name}: cluster ${clusterName} sets insecure-skip-tls-verify and a certificate authority: `
      + 'specifying a root certificates file with the insecure flag is not allowed',
    { context: name, hint: `remove insecure-skip-tls-verify from cluster ${clusterName} (its CA is enough to trust the server), or remove its certificate-authority` });
  }
  const proxy = c['proxy-url'];
  if (proxy === undefined || proxy === '') return;
  let scheme = '';
  try {
    scheme = new URL(String(proxy)).protocol.replace(/:$/, '');
  } catch { /* reported below */ }
  if (!['http', 'https', 'socks5'].includes(scheme)) {
    throw new CliError('usage', `context ${name}: cluster ${clusterName} has proxy-url ${scheme ? `scheme "${scheme}"` : 'that is not a URL'}: only http, https and socks5 are supported`,
      { context: name, hint: 'write it as http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT' });
  }
}
