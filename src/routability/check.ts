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

export interface RoutabilityStepOptions extends ProbeOptions { facts: ClusterFacts[] }

/**
 * Routability as both `check` and `install` run it: probes the clusters (Ctrl-C deletes the probes and ends
 * the command with exit 130), then turns the results into checks with a diagnosis per failing pair.
 */
export async function checkRoutability(clusters: Cluster[], o: RoutabilityStepOptions, note: (line: string) => void,
  progress?: (what: string) => void): Promise<{ report?: RoutabilityReport; checks: Check[] }> {
  if (clusters.length < 2) return { checks: [check('ROUTABILITY', 'pass', 'a single cluster: no pod IPs to probe between clusters')] };
  const { report, cleanupFailures } = await probeRoutability(clusters, { ...o, signal: o.signal ?? clusters[0]!.client.signal }, note, progress);
  const net: PodNetwork = { namespace: o.namespace, overlaps: overlappingPodCidrs(o.facts),
    podCidrs: new Map(o.facts.map((f) => [f.context, f.podCidrs])) };
  const checks = routabilityChecks(report, net);
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
    facts: req.facts.filter((f) => names.has(f.context)), keepCreatedNamespace: true }, req.note, req.progress);
  return { checks: [...checks, ...r.checks], report: r.report };
};
