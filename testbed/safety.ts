// The machine's network-safety check, run on the bed after every `up` (and by `testbed safety`).
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { type Log, stderrLog } from './log.js';
import { kubeconfigPath, safetyCheckPath } from './paths.js';

/** Runs the machine's network-safety check on the bed; its output goes to the log. */
export async function safetyCheck(log: Log = stderrLog): Promise<{ exitCode: number; output: string }> {
  if (!existsSync(safetyCheckPath)) {
    log(`safety check not found at ${safetyCheckPath} (set TESTBED_SAFETY_CHECK): skipped`);
    return { exitCode: 0, output: 'skipped' };
  }
  const r = await execa(safetyCheckPath, [kubeconfigPath], { reject: false, all: true });
  for (const line of (r.all ?? '').split('\n').filter(Boolean)) log(`safety: ${line}`);
  return { exitCode: r.exitCode ?? 1, output: r.all ?? '' };
}
