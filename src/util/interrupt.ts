import { setMaxListeners } from 'node:events';
import { CliError } from '../errors.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM as an AbortSignal. Waits and API requests take `signal` and stop at
 * once; a `shield`ed section (a batch that must not be cut in half, such as writing every registration
 * for the control plane) runs to its end first, and the interruption takes effect right after it.
 */
export interface Interrupt {
  readonly signal: AbortSignal;
  /** Whether the user asked to stop (also while a shielded section still runs). */
  readonly requested: boolean;
  shield<T>(fn: () => Promise<T>): Promise<T>;
  /** Stops the run for a reason of its own (another run took its lock), as Ctrl-C would: after the running shielded sections. */
  stop(reason: CliError): void;
}

export interface InterruptController extends Interrupt {
  /** Asks to stop: aborts now, or when the running shielded sections end. */
  request(signalName: string): void;
}

export const interruptedError = (signalName: string) => new CliError('interrupted', `interrupted (${signalName}): stopped cleanly`,
  { hint: 'run the same command again to finish: every step is safe to repeat and a re-run converges' });

export function createInterrupt(): InterruptController {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // every request and wait in flight listens to it
  let shielded = 0;
  let pending: string | undefined;
  let reason: CliError | undefined;
  const fire = () => { if ((pending || reason) && !shielded && !ac.signal.aborted) ac.abort(reason ?? interruptedError(pending!)); };
  return {
    signal: ac.signal,
    get requested() { return pending !== undefined; },
    request(signalName) { pending ??= signalName; fire(); },
    stop(r) { reason ??= r; fire(); },
    async shield(fn) {
      ac.signal.throwIfAborted();
      shielded++;
      try {
        return await fn();
      } finally {
        shielded--;
        fire();
      }
    },
  };
}

/** A stand-in for flows run without a process around them (tests, library use): never interrupted. */
export const NO_INTERRUPT: Interrupt = { signal: new AbortController().signal, requested: false, shield: (fn) => fn(), stop: () => {} };

/**
 * Routes SIGINT and SIGTERM of this process to `interrupt` until the returned function is called.
 * The first signal asks for a clean stop; a second one stops the process at once (the signal's
 * default action). Our listener stays while the command runs: libraries that watch for signals
 * (signal-exit, under ora) only end the process themselves when nobody else listens.
 */
export function onProcessSignals(interrupt: InterruptController): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => [name, () => {
    if (!interrupt.requested) return interrupt.request(name);
    release();
    process.kill(process.pid, name);
  }] as const);
  const release = () => { for (const [n, h] of handlers) process.removeListener(n, h); };
  for (const [n, h] of handlers) process.on(n, h);
  return release;
}
