import { createClient, type KubeClient } from '../kube/client.js';
import { kubeconfigFiles, loadKubeconfig, resolveContexts, type ResolvedContext } from '../kube/kubeconfig.js';
import { CliError, usageError } from '../errors.js';
import type { Role } from '../manifests/operator-release.js';
import type { Reporter } from '../ui/reporter.js';

export interface Cluster { ctx: ResolvedContext; client: KubeClient }

export interface ConnectOptions {
  kubeconfig?: string;
  contexts: string[];
  requestTimeoutMs?: number;
  log?: (line: string) => void;
  /** Ctrl-C: stops every request and wait of the clients. */
  signal?: AbortSignal;
  /** The command's deadline (--timeout): no request or retry runs past it. */
  deadline?: number;
}

/** Step 1: resolve every context as kubectl would and give each its own client. */
export async function connect(opts: ConnectOptions): Promise<Cluster[]> {
  const cfg = loadKubeconfig(kubeconfigFiles(opts.kubeconfig));
  const resolved = resolveContexts(cfg, opts.contexts);
  return Promise.all(resolved.map(async (ctx) => ({ ctx, client: await createClient(ctx, { timeoutMs: opts.requestTimeoutMs, log: opts.log, signal: opts.signal, deadline: opts.deadline }) })));
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

/** Parses `--contexts a,b,c` (repeatable, comma-separated); empty entries are a usage error. */
export function parseContextList(values: string[] | string | undefined): string[] {
  const list = (Array.isArray(values) ? values : values ? [values] : []).flatMap((v) => v.split(','));
  if (list.some((c) => !c.trim())) throw usageError('--contexts has an empty entry', 'write --contexts a,b,c without spaces or trailing commas');
  return list.map((c) => c.trim());
}
