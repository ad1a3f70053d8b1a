import { gate } from '../checks/gate.js';
import { evaluatePreflight } from '../checks/preflight.js';
import { gatherAll } from '../checks/preflight-facts.js';
import { must, type OperatorRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';

/**
 * Gathers facts from every cluster (and the peers) and records the verdicts; a failed check stops the
 * command before anything is changed.
 */
export const preflight: Step<OperatorRun> = {
  title: 'Preflight checks',
  async run(ctx, s) {
    const cp = must(ctx.cp, 'the control plane');
    const clusters = [...ctx.targets.map((t) => t.cluster), ...ctx.peers.filter((p) => !ctx.targets.some((t) => t.cluster.ctx.name === p.ctx.name))];
    const roleOf = (context: string) => (context === cp.cluster.ctx.name ? 'control-plane' as const : 'data-plane' as const);
    // The release's pods are dry-run in the clusters it goes into (POD-ADMISSION).
    ctx.facts = await gatherAll(clusters, roleOf, ctx.namespace, ctx.release);
    for (const t of ctx.targets) t.kubernetesVersion = ctx.facts.find((f) => f.context === t.cluster.ctx.name)?.version;
    const found = evaluatePreflight(ctx.facts, { controlPlane: cp.cluster.ctx.name, namespace: ctx.namespace, operatorVersion: must(ctx.release, 'the release').version,
      installCertManager: !ctx.certManagerSource.skipCertManager, allowVersionChange: ctx.force }).filter(ctx.keepCheck ?? (() => true));
    gate(found, ctx, s, {
      message: (bad) => `${bad.length} preflight check(s) failed: ${bad[0]!.message}`,
      exit: (bad) => (bad.some((c) => c.id === 'K8S-REACHABLE') ? 'unreachable' : 'checksFailed'),
    });
  },
};
