import { check, type Check } from '../checks/catalog.js';
import { DEFAULT_PROBE } from '../defaults.js';
import type { RoutabilityReport } from '../report/model.js';
import type { Cluster } from '../kube/connect.js';
import type { ClusterFacts } from '../checks/preflight-facts.js';
import { checkRoutability } from './routability.js';

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
