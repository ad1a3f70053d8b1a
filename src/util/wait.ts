import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../errors.js';

export interface WaitOptions {
  /** An absolute deadline (ms since epoch): one budget shared by every wait of a command. */
  deadline: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * The one wait helper: polls `probe` until it returns a value other than undefined, sleeping between
 * attempts, and fails with the timeout exit code at the deadline. `probe` may return a string through
 * `lastState` so the timeout message says what was still missing.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, opts: WaitOptions,
  lastState?: () => string | undefined): Promise<T> {
  let interval = opts.intervalMs ?? 250;
  const timedOut = () => {
    const state = lastState?.();
    return new CliError('timeout', `timed out waiting for ${what}${state ? ` (${state})` : ''}`,
      { hint: 'raise --timeout, or use --no-wait and check later with k8ssandra status' });
  };
  for (let first = true; ; first = false) {
    opts.signal?.throwIfAborted();
    // Past the deadline after a sleep: say what was missing rather than start a probe that cannot finish.
    if (!first && Date.now() >= opts.deadline) throw timedOut();
    let value: T | undefined;
    try {
      value = await probe();
    } catch (e) {
      // A probe cut off by the deadline itself (its request had no time left): the wait timed out, and says on what.
      if (!opts.signal?.aborted && Date.now() >= opts.deadline - DEADLINE_SLACK_MS) throw timedOut();
      throw e;
    }
    if (value !== undefined) return value;
    const left = opts.deadline - Date.now();
    if (left <= 0) throw timedOut();
    await sleep(Math.min(interval, left), undefined, { signal: opts.signal }).catch((e) => { throw opts.signal?.reason ?? e; });
    interval = Math.min(interval * 1.5, 2000);
  }
}

/** A probe that fails this close to the deadline failed for want of time. */
const DEADLINE_SLACK_MS = 100;

export const deadlineFrom = (timeoutMs: number) => Date.now() + timeoutMs;
