import { usageError } from '../errors.js';
import type { GlobalOptions, Io } from '../cli/host.js';

/** Prompts only when a person is there: stdin and stdout are terminals, CI is unset and --no-input was not given. */
export function interactive(g: GlobalOptions, io: Io): boolean {
  return g.input && !!io.stdin.isTTY && !!io.stdout.isTTY && !io.env.CI;
}

/**
 * A confirmation that answers yes by itself with --yes or without a terminal (CI runs unattended).
 * A destructive one (uninstall) asks on a terminal with "no" as the default, and without a terminal
 * refuses unless --yes was given: nothing is deleted by an unattended run that did not say so.
 */
export function confirmer(g: GlobalOptions, io: Io, opts: { destructive?: boolean; signal?: AbortSignal } = {}): (question: string) => Promise<boolean> {
  return async (message) => {
    if (g.yes) return true;
    if (!interactive(g, io)) {
      if (opts.destructive) throw usageError('this command deletes objects and needs confirmation: pass --yes', 'run it on a terminal to be asked, or add --yes (CI)');
      return true;
    }
    const { confirm } = await import('@inquirer/prompts');
    return confirm({ message, default: !opts.destructive }, { input: io.stdin, output: io.stderr, signal: opts.signal });
  };
}
