import type { HeldLock } from '../kube/lock.js';
import type { Reporter } from '../ui/reporter.js';
import type { ReportDraft } from './report.js';
import type { Target } from './target.js';

/**
 * What every step of a command shares: the reporter, the report being built, the command's deadline
 * and Ctrl-C, and the clusters (targets) with what the run learns and does in each. A command's own
 * context extends it with what its steps hand on (the release, the plan, ...).
 */
export interface RunContext {
  readonly ui: Reporter;
  readonly report: ReportDraft;
  /** The command's deadline (--timeout, ms since epoch): one budget for every request and wait. */
  readonly deadline: number;
  /** Ctrl-C: aborts requests and waits. */
  readonly signal?: AbortSignal;
  namespace: string;
  readonly dryRun: boolean;
  targets: Target[];
  /**
   * Set by the first step that changes a cluster: from then on a run that stops reports every
   * cluster's outcome; before it, a failed run has changed nothing and reports its checks alone.
   */
  changing?: boolean;
  /** The run lock, once taken (steps/lock.ts); given back when the steps end. */
  lock?: HeldLock;
}

export const targetNamed = (ctx: RunContext, context: string): Target => {
  const t = ctx.targets.find((x) => x.cluster.ctx.name === context);
  if (!t) throw new Error(`no target ${context}`); // a bug of ours: targets are made from the resolved contexts
  return t;
};
