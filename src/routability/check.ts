// Pod-IP routability between clusters (README step 4), as `check` and `install` run it, and the gate `add-dc`
// runs before a datacenter goes to a new cluster: the probe (probe.ts), then its checks (diagnosis.ts).
import { check, type Check } from '../checks/catalog.js';
import { DEFAULT_PROBE } from '../defaults.js';
import type { RoutabilityReport } from '../report/model.js';
import type { Cluster } from '../kube/connect.js';
import { overlappingPodCidrs } from '../checks/preflight.js';
import type { ClusterFacts } from '../checks/preflight-facts.js';
import { PROBE_RUN_LABEL } from './contract.js';
import { routabilityChecks, type PodNetwork } from './diagnosis.js';
import { probeRoutability, type ProbeOptions } from './probe.js';
import { apiServerChecks, markUsed } from './api-servers.js';
import { candidatesFor } from '../registration/api-server-facts.js';

/** Whose API servers the control plane must reach: the data planes it will register, with --api-server. */
export interface ApiServerRequest { controlPlane: Cluster; dataPlanes: Cluster[]; overrides: Record<string, string> }

export interface RoutabilityStepOptions extends Omit<ProbeOptions, 'apiServers'> {
  facts: ClusterFacts[];
  /** Also dial each data plane's API server from a pod of the control plane (check, install, add-dc). */
  apiServers?: ApiServerRequest;
}

/** The address each data plane's registration should hold instead of the kubeconfig's, where the probe found one. */
export function addressesFound(r: RoutabilityReport | undefined): Record<string, string> {
  return Object.fromEntries((r?.apiServers ?? []).filter((a) => a.used && a.source !== 'kubeconfig' && a.source !== 'api-server flag').map((a) => [a.to, a.address]));
}

/** Data planes whose registration address the probe proved reachable from the control plane's pods. */
export function addressesReached(r: RoutabilityReport | undefined): string[] {
  return (r?.apiServers ?? []).filter((a) => a.used).map((a) => a.to);
}

/**
 * Routability as both `check` and `install` run it: probes the clusters (Ctrl-C deletes the probes and ends
 * the command with exit 130), then turns the results into checks with a diagnosis per failing pair.
 */
export async function checkRoutability(clusters: Cluster[], o: RoutabilityStepOptions, note: (line: string) => void,
  progress?: (what: string) => void): Promise<{ report?: RoutabilityReport; checks: Check[] }> {
  if (clusters.length < 2) return { checks: [check('ROUTABILITY', 'pass', 'a single cluster: no pod IPs to probe between clusters')] };
  const dataPlanes = o.apiServers && clusters.includes(o.apiServers.controlPlane)
    ? await Promise.all(o.apiServers.dataPlanes.filter((dp) => dp !== o.apiServers!.controlPlane).map(async (dp) => ({ context: dp.ctx.name, server: dp.ctx.server,
      candidates: await candidatesFor(dp, o.apiServers!.overrides[dp.ctx.name]) }))) : [];
  const apiServers = dataPlanes.length ? { from: o.apiServers!.controlPlane.ctx.name,
    targets: dataPlanes.flatMap((dp) => dp.candidates.map((c) => ({ to: dp.context, address: c.address, source: c.source }))) } : undefined;
  const { report, cleanupFailures } = await probeRoutability(clusters, { ...o, apiServers, signal: o.signal ?? clusters[0]!.client.signal }, note, progress);
  if (report.apiServers) {
    report.apiServers = markUsed(report.apiServers, dataPlanes);
    for (const a of report.apiServers.filter((x) => x.used && x.source !== 'kubeconfig' && x.source !== 'api-server flag')) {
      note(`${a.to}: the kubeconfig's API server address is host-local; pods in ${a.from} reach ${a.address} (${a.source}): the registration holds that`);
    }
  }
  const net: PodNetwork = { namespace: o.namespace, overlaps: overlappingPodCidrs(o.facts),
    podCidrs: new Map(o.facts.map((f) => [f.context, f.podCidrs])) };
  const checks = [...routabilityChecks(report, net), ...apiServerChecks(report.apiServers ?? [], dataPlanes)];
  for (const f of cleanupFailures) {
    checks.push(check('ROUTABILITY', 'warn', `${f.context}: could not delete the probe pods: ${f.message}`, { context: f.context,
      hint: `delete them with kubectl delete pods -n ${o.namespace} -l ${PROBE_RUN_LABEL}=${report.runId}` }));
  }
  return { report, checks };
}

/** Which pairs need pod-IP routability before a datacenter goes to `target`: target with every peer. */
export interface RoutabilityRequest {
  /** The command asking, for the message. */
  command: string;
  /** The cluster that is about to hold a datacenter. */
  target: Cluster;
  /** The clusters that already hold datacenters of the same K8ssandraCluster (and that the kubeconfig reaches). */
  peers: Cluster[];
  /** Contexts holding datacenters that the kubeconfig does not name: they cannot be probed from here. */
  unknownPeers: string[];
  /** The control plane and the new data plane whose API server it must reach (when it will be registered). */
  apiServers?: ApiServerRequest;
  /** --skip-routability */
  skip: boolean;
  dryRun: boolean;
  namespace: string;
  deadline: number;
  facts: ClusterFacts[];
  note: (line: string) => void;
  progress?: (what: string) => void;
}

export type RoutabilityCheck = (req: RoutabilityRequest) => Promise<{ checks: Check[]; report?: RoutabilityReport }>;

/**
 * The routability gate of `add-dc`: probes pod-IP routability between the new datacenter's cluster and
 * the clusters of the existing ones, with the same probe as `install` and `check`.
 */
export const routabilityGate: RoutabilityCheck = async (req) => {
  const hint = 'run k8ssandra check before the first datacenter spans clusters';
  if (req.skip) return { checks: [check('ROUTABILITY', 'warn', 'pod-IP routability was not checked (--skip-routability)', { hint })] };
  const checks: Check[] = [];
  if (req.unknownPeers.length) {
    checks.push(check('ROUTABILITY', 'warn', `${req.unknownPeers.join(', ')} hold datacenters but are not in the kubeconfig: not probed`,
      { context: req.target.ctx.name, hint: 'add their contexts to the kubeconfig to probe them too' }));
  }
  const clusters = [req.target, ...req.peers.filter((p) => p.ctx.name !== req.target.ctx.name)];
  if (clusters.length < 2) return { checks };
  if (req.dryRun) {
    checks.push(check('ROUTABILITY', 'warn', 'pod-IP routability is not probed in a dry run (it would create probe pods)', { hint: 'run k8ssandra check' }));
    return { checks };
  }
  const names = new Set(clusters.map((c) => c.ctx.name));
  const r = await checkRoutability(clusters, { ...DEFAULT_PROBE, namespace: req.namespace, deadline: req.deadline,
    facts: req.facts.filter((f) => names.has(f.context)), apiServers: req.apiServers }, req.note, req.progress);
  return { checks: [...checks, ...r.checks], report: r.report };
};
