import type { Report } from '../report/model.js';

/**
 * The report a command builds as it runs: the report model without what only the end knows (exit code,
 * error, elapsed time). main creates it before the command runs, so a command that stops half-way
 * (a failed check, a timeout) still reports everything it had found.
 */
export interface ReportDraft extends Omit<Report, 'schemaVersion' | 'exitCode' | 'elapsedMs' | 'error'> {
  /** The exit code when the command ends without error but not ok (default: notReady). */
  failExit?: 'notReady' | 'unreachable' | 'checksFailed';
}

export const newReport = (command: string): ReportDraft =>
  ({ command, ok: false, dryRun: false, clusters: [], registrations: [], checks: [], summary: '' });
