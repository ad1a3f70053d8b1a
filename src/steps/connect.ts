import { createClient, type KubeClient } from '../kube/client.js';
import { kubeconfigFiles, loadKubeconfig, resolveContexts, type ResolvedContext } from '../kube/kubeconfig.js';
import { CliError, describe, usageError } from '../errors.js';
import type { Role } from '../manifests/operator-release.js';
import type { Reporter } from '../ui/reporter.js';

export interface Cluster { ctx: ResolvedContext; client: KubeClient }

export interface ConnectOptions {
  kubeconfig?: string;
  contexts: string[];
  requestTimeoutMs?: number;
  retries?: number;
  log?: (line: string) => void;
  /** Ctrl-C: stops every request and wait of the clients. */
  signal?: AbortSignal;
  /** The command's deadline (--timeout): no request or retry runs past it. */
  deadline?: number;
}

const clientFor = async (ctx: ResolvedContext, opts: Omit<ConnectOptions, 'contexts'>): Promise<Cluster> =>
  ({ ctx, client: await createClient(ctx, { timeoutMs: opts.requestTimeoutMs, retries: opts.retries, log: opts.log, signal: opts.signal, deadline: opts.deadline }) });

/** Step 1: resolve every context as kubectl would and give each its own client. */
export async function connect(opts: ConnectOptions): Promise<Cluster[]> {
  const cfg = loadKubeconfig(kubeconfigFiles(opts.kubeconfig));
  const resolved = resolveContexts(cfg, opts.contexts);
  return Promise.all(resolved.map((ctx) => clientFor(ctx, opts)));
}

export interface Topology { clusters: Cluster[]; cp: Cluster; dataPlanes: Cluster[]; roleOf: (context: string) => Role }

/** Step 1 of the multi-cluster commands: connect every context, the control plane is --control-plane or the first. */
export async function resolveTopology(ui: Reporter, opts: ConnectOptions & { controlPlane?: string }): Promise<Topology> {
  const clusters = await ui.step('Resolve contexts', async (s) => {
    const cs = await connect(opts);
    for (const c of cs) s.note(`${c.ctx.name} -> ${c.ctx.server}`);
    return cs;
  });
  const cpName = opts.controlPlane ?? clusters[0]!.ctx.name;
  const cp = clusters.find((c) => c.ctx.name === cpName);
  if (!cp) {
    throw new CliError('usage', `--control-plane ${cpName} is not one of --contexts`, { hint: `add it to --contexts, e.g. --contexts ${cpName},${opts.contexts.join(',')}` });
  }
  return { clusters, cp, dataPlanes: clusters.filter((c) => c !== cp), roleOf: (ctx) => (ctx === cpName ? 'control-plane' : 'data-plane') };
}

/**
 * Every context of the kubeconfig, each with its own client, for commands that discover what is
 * installed where: a context that cannot be resolved (a missing certificate file, an unknown user) is
 * skipped with its reason instead of stopping the command.
 */
export async function connectAll(opts: Omit<ConnectOptions, 'contexts'>): Promise<{ clusters: Cluster[]; skipped: { context: string; reason: string }[] }> {
  const cfg = loadKubeconfig(kubeconfigFiles(opts.kubeconfig));
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
  return { clusters: await Promise.all(resolved.map((ctx) => clientFor(ctx, opts))), skipped };
}
