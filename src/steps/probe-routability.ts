import { check } from '../checks/catalog.js';
import { gate } from '../checks/gate.js';
import type { Cluster } from '../kube/connect.js';
import { must, type OperatorRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';
import { DEFAULT_PROBE, type ProbeSettings } from '../defaults.js';
import { addressesFound, addressesReached, checkRoutability, routabilityGate, type RoutabilityCheck } from '../routability/check.js';
import type { RoutabilityReport } from '../report/model.js';

/**
 * install: pod-IP routability between every pair of clusters, with temporary probe pods; a failed pair
 * stops the install before anything is installed. Skipped loudly with --skip-routability; a dry run
 * does not probe (it would create pods).
 */
export const routabilityBetweenAll = (o: { skip: boolean; probe?: ProbeSettings }): Step<OperatorRun> => ({
  title: 'Routability between clusters',
  async run(ctx, s) {
    if (o.skip) {
      ctx.report.checks.push(check('ROUTABILITY', 'warn', 'pod-IP routability was not checked (--skip-routability)', { hint: 'run k8ssandra check before the first datacenter spans clusters' }));
      s.note(`${ctx.ui.style.mark.warn} skipped (--skip-routability): Cassandra needs pod IPs routable between clusters`);
      return;
    }
    if (ctx.dryRun) {
      ctx.report.checks.push(check('ROUTABILITY', 'warn', 'pod-IP routability is not probed in a dry run (it would create probe pods)', { hint: 'run k8ssandra check: it probes with temporary pods and changes nothing else' }));
      s.note(`${ctx.ui.style.mark.warn} not probed in a dry run; k8ssandra check probes`);
      return;
    }
    // A namespace the probe had to create is kept when the install goes on: it is the operator's.
    const r = await checkRoutability(ctx.targets.map((t) => t.cluster), { ...(o.probe ?? DEFAULT_PROBE), namespace: ctx.namespace, deadline: ctx.deadline,
      facts: ctx.facts, apiServers: ctx.cp && { controlPlane: ctx.cp.cluster, dataPlanes: ctx.dataPlanes.map((t) => t.cluster),
        overrides: ctx.registration.apiServers } }, s.note, (what) => s.update(what));
    ctx.report.routability = r.report;
    useAddressesFound(ctx, r.report);
    gate(r.checks, ctx, s, {
      message: (bad) => `${bad.every((c) => c.id === 'ROUTABILITY') ? `${bad.length} pair(s) of clusters cannot reach each other's pod IPs`
        : `${bad.length} routability check(s) failed`} (${bad[0]!.message}); nothing was installed`,
      hint: (bad) => `${bad[0]!.hint}; to install anyway, pass --skip-routability`,
    });
  },
});

/**
 * The registration holds the address the probe found where the kubeconfig's is host-local (--api-server
 * still wins), and knows which addresses the control plane's pods reached.
 */
function useAddressesFound(ctx: OperatorRun, r: RoutabilityReport | undefined): void {
  ctx.registration.apiServers = { ...addressesFound(r), ...ctx.registration.apiServers };
  ctx.registration.reachedFromControlPlane = addressesReached(r);
}

/** add-dc's part of a run: the cluster the new datacenter goes into, and the K8ssandraCluster's other clusters. */
export interface PeerRun extends OperatorRun {
  newDc?: Cluster;
  /** Clusters the K8ssandraCluster names that the kubeconfig does not. */
  unknownPeers: string[];
}

/** add-dc: routability between the new datacenter's cluster and the clusters of the existing ones (`peers`). */
export const routabilityToPeers = (o: { skip: boolean; check?: RoutabilityCheck }): Step<PeerRun> => ({
  title: 'Routability between clusters',
  async run(ctx, s) {
    const newDc = must(ctx.newDc, 'the new cluster');
    // Registered data planes keep their address; a new one's is dialled from the control plane when it is among the probed clusters.
    const apiServers = ctx.cp && ctx.dataPlanes.some((t) => t.cluster === newDc) ? { controlPlane: ctx.cp.cluster, dataPlanes: [newDc], overrides: ctx.registration.apiServers } : undefined;
    const r = await (o.check ?? routabilityGate)({ command: 'add-dc', target: newDc, peers: ctx.peers, unknownPeers: ctx.unknownPeers, apiServers,
      skip: o.skip, dryRun: ctx.dryRun, namespace: ctx.namespace, deadline: ctx.deadline, facts: ctx.facts, note: s.note, progress: (what) => s.update(what) });
    if (r.report) ctx.report.routability = r.report;
    useAddressesFound(ctx, r.report);
    gate(r.checks, ctx, s);
  },
});
