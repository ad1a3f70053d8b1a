// Waiting for the bed's clusters: a bounded poll whose timeout message names the machine's load (the
// usual cause on 2 cores) and where the logs are.
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** A component exited while its cluster started: no use waiting for it any longer. */
export class ComponentExited extends Error {}

/** The machine's load, for messages about waits that ran out: a loaded machine is the usual cause. */
function loadNote(): string {
  return `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`;
}

/**
 * Polls `check` every 250 ms until it returns a value; errors count as "not yet", except ComponentExited.
 * `where` (the logs of a cluster being started) marks a wait of the bed's start, whose message says how to repair it.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, where?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      if (e instanceof ComponentExited) throw e; // waiting longer cannot help
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last error: ${last})` : ''}; ${loadNote()}`
        + (where ? `; logs: ${where}. On a busy machine run \`npm run testbed -- up\` again (it repairs what did not start) or raise TESTBED_START_TIMEOUT (seconds)` : ''));
    }
    await sleep(250);
  }
}
