import { CliError } from '../errors.js';
import type { RunContext } from '../run/context.js';
import type { Step } from '../run/steps.js';

/** A warning, once, before anything is done: what --force will do in this command. */
export const warnForce = (what: string): Step<RunContext & { readonly force: boolean }> => ({
  title: '--force', quiet: true, skip: (ctx) => !ctx.force,
  async run(ctx) { ctx.ui.warn(`--force: ${what}`); },
});

/** Asks before the first change (never in a dry run; --yes and non-interactive runs answer yes). */
export const confirm = <C extends RunContext>(question: (ctx: C) => string | undefined, cancelled: string,
  ask: (question: string) => Promise<boolean>): Step<C> => ({
  title: 'confirm', quiet: true, skip: (ctx) => ctx.dryRun,
  async run(ctx) {
    const q = question(ctx);
    if (q && !(await ask(q))) throw new CliError('interrupted', `${cancelled} cancelled`, { hint: `pass --yes to ${cancelled} without asking` });
  },
});
