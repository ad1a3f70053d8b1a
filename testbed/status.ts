// `status`: the health of every cluster in the bed's kubeconfig, the agent, the cuts, the settings and
// the bed's memory, as data (the CLI renders it).
import { existsSync } from 'node:fs';
import { readCuts, type Cut } from './cuts.js';
import { COMPONENTS, readyz } from './health.js';
import { Kube, type KubeContext, loadContexts, withClient } from './kube.js';
import { clusterPids } from './kwokctl.js';
import { NODE_PATH, nodeReady, type NodeObject } from './nodes.js';
import { kubeconfigPath } from './paths.js';
import { agentPid, rssBytes } from './processes.js';
import { bedSettings, type BedSettings } from './settings.js';
import { bedSlot, NODE_NAME, podCidr, serviceCidr } from './topology.js';

export interface ClusterStatus {
  context: string;
  healthy: boolean;
  server?: string;
  version?: string;
  error?: string;
  node?: { name: string; ready: boolean; podCIDR?: string; internalIP?: string };
  podCidr: string;
  serviceCidr: string;
  processes: { component: string; pid: number; alive: boolean; rssBytes: number }[];
}

export interface BedStatus {
  healthy: boolean;
  kubeconfig: string;
  slot: number;
  settings: BedSettings;
  clusters: ClusterStatus[];
  agent: { pid?: number; alive: boolean; rssBytes: number };
  cuts: Cut[];
  totalRssBytes: number;
}

async function clusterStatus(ctx: KubeContext): Promise<ClusterStatus> {
  const processes = clusterPids(ctx.name).map(({ component, pid, alive }) => ({
    component,
    pid,
    alive,
    rssBytes: alive ? rssBytes(pid) : 0,
  }));
  const base = { context: ctx.name, server: ctx.server, podCidr: podCidr(ctx.name), serviceCidr: serviceCidr(ctx.name), processes };
  return withClient(new Kube(ctx), async (kube) => {
    try {
      if (!(await readyz(kube))) throw new Error('/readyz is not ok');
      const version = (await kube.get<{ gitVersion: string }>('/version', 3000)).gitVersion;
      const n = await kube.get<NodeObject>(NODE_PATH, 3000);
      const node = {
        name: NODE_NAME,
        ready: nodeReady(n),
        podCIDR: n.spec?.podCIDR,
        internalIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
      };
      const problems = [
        ...(node.ready ? [] : [`node ${NODE_NAME} not Ready`]),
        ...(node.podCIDR === podCidr(ctx.name) ? [] : [`node podCIDR ${node.podCIDR} is not ${podCidr(ctx.name)}`]),
        ...(processes.length === COMPONENTS ? [] : [`${processes.length} of ${COMPONENTS} components recorded`]),
        ...processes.filter((p) => !p.alive).map((p) => `${p.component} (pid ${p.pid}) is not running`),
      ];
      return { ...base, healthy: problems.length === 0, version, node, ...(problems.length ? { error: problems.join('; ') } : {}) };
    } catch (e) {
      return { ...base, healthy: false, error: (e as Error).message };
    }
  });
}

/** Health of every cluster in the bed's kubeconfig, the agent, the cuts, the settings, and the bed's memory. */
export async function status(): Promise<BedStatus> {
  const pid = agentPid();
  const agent = { pid, alive: pid !== undefined, rssBytes: pid ? rssBytes(pid) : 0 };
  const contexts = existsSync(kubeconfigPath) ? loadContexts(kubeconfigPath) : [];
  const clusters = await Promise.all(contexts.map(clusterStatus));
  const totalRssBytes = agent.rssBytes + clusters.flatMap((c) => c.processes).reduce((s, p) => s + p.rssBytes, 0);
  return {
    healthy: clusters.length > 0 && clusters.every((c) => c.healthy) && agent.alive,
    kubeconfig: kubeconfigPath,
    slot: bedSlot(),
    settings: bedSettings(),
    clusters,
    agent,
    cuts: readCuts(),
    totalRssBytes,
  };
}
