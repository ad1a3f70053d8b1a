import { CliError } from '../errors.js';

/**
 * Runs `fn` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts instead of killing the process, so
 * that `fn` can undo what it started before the command ends with the interrupted exit code (130).
 * Every signal, the first and any while `fn` cleans up (cleanup is bounded), is only told to `notice`.
 */
export async function interruptible<T>(cleanedUp: string, fn: (signal: AbortSignal) => Promise<T>, notice?: () => void): Promise<T> {
  const ac = new AbortController();
  const onSignal = () => { ac.abort(); notice?.(); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interrupted = () => new CliError('interrupted', `interrupted; ${cleanedUp}`, { hint: 'run the command again to finish' });
  try {
    const value = await fn(ac.signal);
    if (ac.signal.aborted) throw interrupted();
    return value;
  } catch (e) {
    if (ac.signal.aborted) throw interrupted();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
