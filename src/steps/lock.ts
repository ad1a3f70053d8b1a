import { currentHolder, lockClusters } from '../kube/lock.js';
import type { Cluster } from '../kube/connect.js';
import type { RunContext } from '../run/context.js';
import type { Step } from '../run/steps.js';
import type { Interrupt } from '../util/interrupt.js';

type LockingRun = RunContext & { interrupt?: Interrupt; peers?: Cluster[] };

/**
 * Takes the run lock in every cluster the command changes (and in the peers whose pods it probes), before
 * its first write; runSteps gives it back at the end, whatever happened. A dry run changes nothing and
 * takes none. Another run that takes it from this one (only once this one stalled past the lease) stops
 * this one, as Ctrl-C would.
 */
export const lockTheClusters = <C extends LockingRun>(which: (ctx: C) => Cluster[] = everyCluster): Step<C> => ({
  title: 'Take the lock of every cluster',
  skip: (ctx) => ctx.dryRun,
  async run(ctx, s) {
    const clusters = [...new Map(which(ctx).map((c) => [c.ctx.name, c])).values()];
    ctx.lock = await lockClusters(clusters, {
      namespace: ctx.namespace, holder: currentHolder(ctx.report.command), deadline: ctx.deadline, signal: ctx.signal, note: s.note,
      onLost: (e) => ctx.interrupt?.stop(e),
    });
  },
});

const everyCluster = (ctx: LockingRun) => [...ctx.targets.map((t) => t.cluster), ...(ctx.peers ?? [])];
