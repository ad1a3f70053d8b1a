import Table from 'cli-table3';
import { stringify } from 'yaml';
import type { Styler } from '../ui/style.js';
import type { Report } from './model.js';

export type OutputFormat = 'text' | 'json' | 'yaml';

/** One document on stdout: the same report model in every format. */
export function renderReport(r: Report, format: OutputFormat, style: Styler): string {
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  if (format === 'yaml') return stringify(r);
  return renderText(r, style);
}

/** A table without borders: readable in a terminal and in a CI log, no escape codes of its own. */
export function plainTable(head: string[]): Table.Table {
  return new Table({
    head, style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '' },
  });
}

function renderText(r: Report, s: Styler): string {
  const out: string[] = [];
  if (r.clusters.some((c) => c.changes.deleted !== undefined)) {
    // A removal (uninstall): what went, and what was kept and why.
    const t = plainTable(['CONTEXT', 'ROLE', 'OPERATOR', r.dryRun ? 'WOULD DELETE' : 'DELETED', 'KEPT']);
    for (const c of r.clusters) t.push([c.context, c.role, c.operatorVersion ?? '-', c.changes.deleted ?? 0, c.changes.kept ?? 0]);
    out.push(t.toString());
    const reasons = new Map<string, number>();
    for (const o of r.clusters.flatMap((c) => c.objects)) if (o.action === 'kept' && o.reason) reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
    for (const [reason, n] of reasons) out.push(`  kept ${n}: ${reason}`);
  } else if (r.clusters.length) {
    const t = plainTable(['CONTEXT', 'ROLE', 'KUBERNETES', 'OPERATOR', 'CERT-MANAGER', 'READY', 'CREATED', 'CHANGED', 'UNCHANGED']);
    for (const c of r.clusters) {
      t.push([c.context, c.role, c.kubernetesVersion ?? '-', c.operatorVersion ?? '-', c.certManager ?? '-',
        r.dryRun ? '-' : c.ready ? s.ok('yes') : s.warn('no'), c.changes.created, c.changes.changed, c.changes.unchanged]);
    }
    out.push(t.toString());
  }
  if (r.registrations.length) {
    out.push('', 'Registrations (in the control plane):');
    for (const g of r.registrations) {
      const exp = g.tokenExpiresAt ? `, token expires ${g.tokenExpiresAt.slice(0, 10)}` : '';
      const verified = r.dryRun || g.action === 'deleted' ? '' : g.verified ? ', ' + s.ok('credentials verified') : ', ' + s.fail('NOT verified');
      out.push(`  ${g.context}: ClientConfig ${g.clientConfig}, Secret ${g.secret}, ${g.action}${verified}${exp}`);
    }
  }
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
    out.push('', `${s.fail('Error:')} ${r.error.message}`);
    if (r.error.hint) out.push(`hint: ${r.error.hint}`);
  } else if (r.summary) {
    out.push('', (r.ok ? s.ok('✓ ') : s.warn('! ')) + r.summary);
  }
  out.push(s.dim(`(${(r.elapsedMs / 1000).toFixed(1)}s)`));
  return out.join('\n').replace(/^\n+/, '') + '\n';
}
