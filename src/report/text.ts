import Table from 'cli-table3';
import type { Styler } from '../ui/style.js';
import type { Report } from './model.js';

/** A table without borders: readable in a terminal and in a CI log, no escape codes of its own. */
export function plainTable(head: string[]): Table.Table {
  return new Table({
    head, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' },
  });
}

/** The end of every text report: check counts and the findings with hints, the error or summary, time. */
export function closingLines(r: Report, s: Styler): string[] {
  const out: string[] = [];
  const counts = { pass: 0, warn: 0, fail: 0 };
  for (const c of r.checks) counts[c.status]++;
  if (r.checks.length) {
    out.push('', `Checks: ${counts.pass} passed, ${counts.warn} warnings, ${counts.fail} failed`);
    for (const c of r.checks.filter((c) => c.status !== 'pass')) {
      const message = c.context && c.message.startsWith(`${c.context}: `) ? c.message.slice(c.context.length + 2) : c.message;
      out.push(`  ${s.mark[c.status]} [${c.id}]${c.context ? ' ' + c.context + ':' : ''} ${message}`);
      if (c.hint) out.push(`      hint: ${c.hint}`);
    }
  }
  if (r.error) {
    out.push('', `${s.fail('error:')} ${r.error.message}`);
    if (r.error.hint) out.push(`hint: ${r.error.hint}`);
  } else if (r.summary) {
    out.push('', (r.ok ? s.ok('✓ ') : s.warn('! ')) + r.summary);
  }
  out.push(s.dim(`(${(r.elapsedMs / 1000).toFixed(1)}s${r.requests !== undefined ? `, ${r.requests} API requests` : ''})`));
  return out;
}
