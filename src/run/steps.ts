import type { StepHandle } from '../ui/reporter.js';
import type { RunContext } from './context.js';
import { clusterReport } from './target.js';

/**
 * One visible step of a command (a status line on stderr), or an invisible one (`quiet`: a
 * confirmation, a warning, the summary). `skip` leaves it out for this run.
 */
export interface Step<C extends RunContext> {
  title: string | ((ctx: C) => string);
  quiet?: boolean;
  skip?: (ctx: C) => boolean;
  run(ctx: C, status: StepHandle): Promise<void>;
}

const silent: StepHandle = { note: () => {}, update: () => {} };

export const titleOf = <C extends RunContext>(step: Step<C>, ctx: C) => (typeof step.title === 'function' ? step.title(ctx) : step.title);

/**
 * Runs a command's steps in order and makes the report's clusters from its targets, also when a step
 * fails (then each cluster says whether it got through, failed, or was stopped before the end).
 * `removal`: the command deletes rather than applies (uninstall's counts); `reportClusters: false`: the
 * command changes nothing anywhere and its checks say everything (check).
 */
export async function runSteps<C extends RunContext>(ctx: C, steps: Step<C>[], o: { removal?: boolean; reportClusters?: boolean } = {}): Promise<void> {
  let finished = false;
  try {
    for (const step of steps) {
      if (step.skip?.(ctx)) continue;
      if (step.quiet) await step.run(ctx, silent);
      else await ctx.ui.step(titleOf(step, ctx), (s) => step.run(ctx, s));
    }
    finished = true;
  } finally {
    // The lock first: a namespace the run created and left empty goes with it, and says so.
    await ctx.lock?.release({ keepNamespaces: !!ctx.changing, note: (line) => ctx.ui.info(line) });
    if ((finished || ctx.changing) && o.reportClusters !== false) {
      ctx.report.clusters.push(...ctx.targets.map((t) => clusterReport(t, {
        namespace: ctx.namespace, removal: o.removal,
        outcome: finished ? undefined : t.failed ? 'failed' : 'stopped',
      })));
    }
  }
}
