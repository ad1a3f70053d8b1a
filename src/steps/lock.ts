import { currentHolder, lockClusters } from '../kube/lock.js';
import type { Cluster } from '../kube/connect.js';
import type { RunContext } from '../run/context.js';
import type { Step } from '../run/steps.js';
import type { Interrupt } from '../util/interrupt.js';

type LockingRun = RunContext & { interrupt?: Interrupt; peers?: Cluster[] };

/**
 * Takes the run lock in every cluster the command changes (and in the peers whose pods it probes), after
 * the read-only checks (bad input and failed checks touch no cluster) and before the first write;
 * runSteps gives it back at the end, whatever happened. A run that had to wait for another one reads the
 * clusters again (`again`: the steps that read and plan), since that run may have changed them. A dry run
 * changes nothing and takes none. Another run that takes the lock from this one (only once this one
 * stalled past the lease) stops this one, as Ctrl-C would.
 */
export const lockTheClusters = <C extends LockingRun>(o: { which?: (ctx: C) => Cluster[]; again?: Step<C>[]; checksBefore?: () => number } = {}): Step<C> => ({
  title: 'Take the lock of every cluster',
  skip: (ctx) => ctx.dryRun,
  async run(ctx, s) {
    const clusters = [...new Map((o.which ?? everyCluster)(ctx).map((c) => [c.ctx.name, c])).values()];
    ctx.lock = await lockClusters(clusters, {
      namespace: ctx.namespace, holder: currentHolder(ctx.report.command), deadline: ctx.deadline, signal: ctx.signal, note: s.note,
      onLost: (e) => ctx.interrupt?.stop(e),
    });
    if (!ctx.lock.waited || !o.again?.length) return;
    s.note('another run worked on these clusters meanwhile: reading them again');
    // Their checks of before are replaced by the new ones.
    ctx.report.checks.length = o.checksBefore?.() ?? ctx.report.checks.length;
    for (const step of o.again) if (!step.skip?.(ctx)) await step.run(ctx, s);
  },
});

/**
 * Read-only steps, then the lock, for a command whose plan depends on what they read: a run that had to
 * wait for another one runs them again under the lock (install: preflight, so that two installs never
 * make two control planes).
 */
export function readThenLock<C extends LockingRun>(reads: Step<C>[], o: { which?: (ctx: C) => Cluster[] } = {}): Step<C>[] {
  let checks = 0;
  const mark: Step<C> = { title: 'mark', quiet: true, async run(ctx) { checks = ctx.report.checks.length; } };
  return [mark, ...reads, lockTheClusters({ ...o, again: reads, checksBefore: () => checks })];
}

const everyCluster = (ctx: LockingRun) => [...ctx.targets.map((t) => t.cluster), ...(ctx.peers ?? [])];
