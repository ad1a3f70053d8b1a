import type { GlobalOptions, Io } from '../main.js';

/** Prompts only when a person is there: stdin and stdout are terminals, CI is unset and --no-input was not given. */
export function interactive(g: GlobalOptions, io: Io): boolean {
  return g.input && !!io.stdin.isTTY && !!io.stdout.isTTY && !io.env.CI;
}

/** A confirmation that answers yes by itself with --yes or without a terminal (CI runs unattended). */
export function confirmer(g: GlobalOptions, io: Io): (question: string) => Promise<boolean> {
  return async (message) => {
    if (g.yes || !interactive(g, io)) return true;
    const { confirm } = await import('@inquirer/prompts');
    return confirm({ message, default: true }, { input: io.stdin, output: io.stderr });
  };
}
