import type { Io } from './cli/host.js';
import { describe, ExitCode, isCliError } from './errors.js';


/** Runs the CLI and returns the exit code; the only place errors become exit codes. */
export async function run(argv: string[], io: Io): Promise<number> {
  const { buildProgram } = await import('./cli/program.js');
  let exit: number = ExitCode.ok;
  const program = buildProgram(io, (code) => { exit = code; });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    exit = handleTopLevelError(e, io);
  }
  return exit;
}

function handleTopLevelError(e: unknown, io: Io): number {
  const ce = e as { code?: string; exitCode?: number; message?: string };
  if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
    // commander has already printed its one-line message (with "Did you mean ...?" where it can).
    if (ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version' || ce.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage;
  }
  io.stderr.write(`error: ${describe(e)}\n${isCliError(e) && e.hint ? `hint: ${e.hint}\n` : ''}`);
  return isCliError(e) ? ExitCode[e.exit] : ExitCode.internal;
}
