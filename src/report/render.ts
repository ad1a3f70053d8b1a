import { stringify } from 'yaml';
import type { Styler } from '../ui/style.js';
import type { Report } from './model.js';
import { renderStatusText } from './status-text.js';
import { closingLines, plainTable } from './text.js';

export { plainTable } from './text.js';

export type OutputFormat = 'text' | 'json' | 'yaml';

/** One document on stdout: the same report model in every format. */
export function renderReport(r: Report, format: OutputFormat, style: Styler): string {
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  if (format === 'yaml') return stringify(r);
  return r.command === 'status' ? renderStatusText(r, style) : renderText(r, style);
}

function renderText(r: Report, s: Styler): string {
  const out: string[] = [];
  if (r.clusters.length) {
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
      out.push(`  ${g.context}: ClientConfig ${g.clientConfig}, Secret ${g.secret}, ${g.action}` +
        `${r.dryRun ? '' : g.verified ? ', ' + s.ok('credentials verified') : ', ' + s.fail('NOT verified')}${exp}`);
    }
  }
  out.push(...closingLines(r, s));
  return out.join('\n').replace(/^\n+/, '') + '\n';
}
