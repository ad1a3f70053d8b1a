import type { ObjectAction } from '../report/model.js';
import { countChanges, type ClusterReport } from '../report/model.js';
import type { Cluster } from '../kube/connect.js';

/** What a command does with one cluster. */
export type ClusterRole = 'control-plane' | 'data-plane' | 'none';

/**
 * One cluster of a run and everything the run learns and does there; the steps fill it in, and the
 * report's `clusters[]` are made from it, once, at the end (or when the run stops).
 */
export interface Target {
  cluster: Cluster;
  role: ClusterRole;
  kubernetesVersion?: string;
  operatorVersion?: string;
  cassOperatorVersion?: string;
  certManager?: ClusterReport['certManager'];
  /** What the run applied or removed there, in order. */
  objects: { ref: string; action: ObjectAction; reason?: string; tookOverFrom?: string[] }[];
  ready: boolean;
  elapsedMs: number;
  /** Set when a step failed in this cluster: the step's title and the one-line reason. */
  failed?: { step: string; message: string };
}

export const newTarget = (cluster: Cluster, role: ClusterRole): Target => ({ cluster, role, objects: [], ready: false, elapsedMs: 0 });

export const contextOf = (t: Target) => t.cluster.ctx.name;

/** `removal`: the run removes objects (uninstall): its counts always say how many were deleted and kept. */
export function clusterReport(t: Target, o: { namespace: string; outcome?: ClusterReport['outcome']; removal?: boolean }): ClusterReport {
  const objects = t.objects.map(({ ref, action, reason }) => ({ ref, action, ...(reason ? { reason } : {}) }));
  const counted = countChanges(objects);
  const changes = o.removal ? { ...counted, deleted: counted.deleted ?? 0, kept: counted.kept ?? 0 } : counted;
  return {
    context: contextOf(t), role: t.role, server: t.cluster.ctx.server, namespace: o.namespace,
    ...(t.kubernetesVersion ? { kubernetesVersion: t.kubernetesVersion } : {}),
    operatorVersion: t.operatorVersion, cassOperatorVersion: t.cassOperatorVersion,
    ...(t.certManager ? { certManager: t.certManager } : {}),
    ready: t.ready, changes, objects, elapsedMs: t.elapsedMs,
    ...(o.outcome ? { outcome: o.outcome } : {}),
    ...(t.failed ? { problem: `${t.failed.step}: ${t.failed.message}` } : {}),
  };
}
