import { createClient, type KubeClient } from './client.js';
import { ExecPlugins } from './exec-plugin.js';
import { inClusterKubeconfig } from './in-cluster.js';
import { kubeconfigFiles, loadKubeconfig, resolveContexts, type MergedKubeconfig, type ResolvedContext } from './kubeconfig.js';
import { describe } from '../errors.js';

export interface Cluster { ctx: ResolvedContext; client: KubeClient }

export interface ConnectOptions {
  kubeconfig?: string;
  /** The environment to read KUBECONFIG from (the host's, never process.env directly). */
  env: NodeJS.ProcessEnv;
  contexts: string[];
  requestTimeoutMs?: number;
  retries?: number;
  log?: (line: string) => void;
  /** Ctrl-C: stops every request and wait of the clients. */
  signal?: AbortSignal;
  /** The command's deadline (--timeout): no request or retry runs past it. */
  deadline?: number;
  /** Where a pod's service account is mounted (tests give another folder). */
  serviceAccountDir?: string;
  /** The command's exec credential plugins (with its terminal), shared by every client; else the clients' own. */
  plugins?: ExecPlugins;
}

const clientsFor = (resolved: ResolvedContext[], opts: Omit<ConnectOptions, 'contexts'>): Promise<Cluster[]> => {
  const plugins = opts.plugins ?? new ExecPlugins({ env: opts.env });
  return Promise.all(resolved.map(async (ctx) => ({ ctx, client: await createClient(ctx,
    { timeoutMs: opts.requestTimeoutMs, retries: opts.retries, log: opts.log, signal: opts.signal, deadline: opts.deadline, env: opts.env, auth: { plugins } }) })));
};

/** The kubeconfig kubectl would use; in a pod without one, the pod's service account (context `in-cluster`), as client-go. */
export function kubeconfigInUse(opts: Pick<ConnectOptions, 'kubeconfig' | 'env' | 'serviceAccountDir'>): MergedKubeconfig {
  const cfg = loadKubeconfig(kubeconfigFiles(opts.kubeconfig, opts.env));
  return cfg.contexts.size ? cfg : inClusterKubeconfig(opts.env, opts.serviceAccountDir) ?? cfg;
}

/** Resolves every context as kubectl would and give each its own client. */
export async function connect(opts: ConnectOptions): Promise<Cluster[]> {
  return clientsFor(resolveContexts(kubeconfigInUse(opts), opts.contexts), opts);
}

/**
 * Every context of the kubeconfig, each with its own client, for commands that discover what is
 * installed where: a context that cannot be resolved (a missing certificate file, an unknown user) is
 * skipped with its reason instead of stopping the command.
 */
export async function connectAll(opts: Omit<ConnectOptions, 'contexts'>): Promise<{ clusters: Cluster[]; skipped: { context: string; reason: string }[] }> {
  const cfg = kubeconfigInUse(opts);
  if (!cfg.contexts.size) resolveContexts(cfg, []); // throws the usual "no contexts in kubeconfig"
  const skipped: { context: string; reason: string }[] = [];
  const resolved: ResolvedContext[] = [];
  for (const name of cfg.contexts.keys()) {
    try {
      resolved.push(...resolveContexts(cfg, [name]));
    } catch (e) {
      skipped.push({ context: name, reason: describe(e) });
    }
  }
  return { clusters: await clientsFor(resolved, opts), skipped };
}
