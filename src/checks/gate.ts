import { CliError } from '../errors.js';
import type { ReportDraft } from '../run/report.js';
import type { Reporter, StepHandle } from '../ui/reporter.js';
import { failed, type Check } from './catalog.js';

export interface GateOptions {
  /** The error's message when checks failed (default: the first failed check's message). */
  message?: (bad: Check[]) => string;
  /** The error's hint (default: the first failed check's hint). */
  hint?: (bad: Check[]) => string | undefined;
  /** The exit code (default: checksFailed). */
  exit?: (bad: Check[]) => 'checksFailed' | 'unreachable';
  /** Note and record, but never stop (check: every family runs, the verdict comes at the end). */
  record?: boolean;
}

/**
 * The one place checks meet the run: they go into the report, each one that did not pass is a line
 * under the step, and a failed one stops the command with its hint.
 */
export function gate(checks: Check[], to: { report: ReportDraft; ui: Reporter }, s: StepHandle, o: GateOptions = {}): void {
  to.report.checks.push(...checks);
  for (const c of checks.filter((c) => c.status !== 'pass')) s.note(`${to.ui.style.mark[c.status]} [${c.id}] ${c.message}`);
  const bad = failed(checks);
  if (!bad.length || o.record) return;
  throw new CliError(o.exit?.(bad) ?? 'checksFailed', o.message?.(bad) ?? bad[0]!.message, { hint: o.hint ? o.hint(bad) : bad[0]!.hint });
}
