import { check, type Check } from '../checks/catalog.js';
import type { Cluster } from './connect.js';

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
}

export type RoutabilityCheck = (req: RoutabilityRequest) => Promise<Check[]>;

/**
 * ROUTABILITY HOOK: the one place `add-dc` asks whether pod IPs are routable between the new
 * datacenter's cluster and the clusters of the existing ones. The probe itself (src/steps/routability.ts)
 * is being written on another branch; plug it in here. Until then this says, as `install` does, that
 * nothing was probed: a warning, never a pass.
 */
export const checkRoutability: RoutabilityCheck = async (req) => {
  const hint = 'run k8ssandra check before the first datacenter spans clusters';
  if (req.skip) return [check('ROUTABILITY', 'warn', 'pod-IP routability was not checked (--skip-routability)', { hint })];
  const pairs = [...req.peers.map((p) => p.ctx.name), ...req.unknownPeers].filter((p) => p !== req.target.ctx.name);
  if (!pairs.length) return [];
  return [check('ROUTABILITY', 'warn', `pod-IP routability between ${req.target.ctx.name} and ${pairs.join(', ')} is not probed by this version of ${req.command}`,
    { context: req.target.ctx.name, hint: 'pass --skip-routability to acknowledge' })];
};
