import { createClient, type KubeClient } from '../kube/client.js';
import { kubeconfigFiles, loadKubeconfig, resolveContexts, type ResolvedContext } from '../kube/kubeconfig.js';

export interface Cluster { ctx: ResolvedContext; client: KubeClient }

export interface ConnectOptions {
  kubeconfig?: string;
  contexts: string[];
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Step 1: resolve every context as kubectl would and give each its own client. */
export async function connect(opts: ConnectOptions): Promise<Cluster[]> {
  const cfg = loadKubeconfig(kubeconfigFiles(opts.kubeconfig));
  const resolved = resolveContexts(cfg, opts.contexts);
  return Promise.all(resolved.map(async (ctx) => ({ ctx, client: await createClient(ctx, { timeoutMs: opts.requestTimeoutMs, log: opts.log }) })));
}
