/** Exit codes: one table, the same in every output mode (documented in README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  checksFailed: 3,
  timeout: 4,
  notReady: 5,
  unreachable: 6,
  conflict: 7,
  /** Another run holds the lock of a cluster (waited for until --timeout), or took it from this run. */
  locked: 8,
  interrupted: 130,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

/**
 * The one error type. `message` is a single line a user can act on, `hint` says what to do next.
 * Messages never contain secrets: callers build them from names, never from credentials.
 */
export class CliError extends Error {
  readonly exit: ExitCodeName;
  readonly hint?: string;
  readonly context?: string;

  constructor(exit: ExitCodeName, message: string, opts: { hint?: string; context?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'CliError';
    this.exit = exit;
    this.hint = opts.hint;
    this.context = opts.context;
  }
}

export const usageError = (message: string, hint?: string) => new CliError('usage', message, { hint });

export function isCliError(e: unknown): e is CliError {
  return e instanceof CliError;
}

/** A short, single-line description of any thrown value, for places that must not print stacks. */
export function describe(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.name;
  return String(e).split('\n')[0] ?? 'unknown error';
}
