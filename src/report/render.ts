import { stringify } from 'yaml';
import { routabilityMatrices } from '../routability/matrix.js';
import type { Styler } from '../ui/style.js';
import type { ApiServerReach, DatacenterReport, Report, RoutabilityReport } from './model.js';
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
  if (r.command === 'uninstall') {
    // A removal (uninstall): what went, and what was kept and why.
    const t = plainTable(['CONTEXT', 'ROLE', 'OPERATOR', r.dryRun ? 'WOULD DELETE' : 'DELETED', 'KEPT']);
    for (const c of r.clusters) t.push([c.context, c.role, c.operatorVersion ?? '-', c.changes.deleted ?? 0, c.changes.kept ?? 0]);
    out.push(t.toString());
    const reasons = new Map<string, number>();
    for (const o of r.clusters.flatMap((c) => c.objects)) if (o.action === 'kept' && o.reason) reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
    for (const [reason, n] of reasons) out.push(`  kept ${n}: ${reason}`);
  } else if (r.clusters.length) {
    // An upgrade also removes what the new release no longer has: a column of its own then.
    const deletes = r.clusters.some((c) => c.changes.deleted);
    const t = plainTable(['CONTEXT', 'ROLE', 'KUBERNETES', 'OPERATOR', 'CERT-MANAGER', 'READY', 'CREATED', 'CHANGED', 'UNCHANGED', ...(deletes ? ['DELETED'] : [])]);
    for (const c of r.clusters) {
      t.push([c.context, c.role, c.kubernetesVersion ?? '-', c.operatorVersion ?? '-', c.certManager ?? '-',
        r.dryRun ? '-' : c.ready ? s.ok('yes') : s.warn('no'), c.changes.created, c.changes.changed, c.changes.unchanged, ...(deletes ? [c.changes.deleted ?? 0] : [])]);
    }
    out.push(t.toString());
  }
  // A command that stopped part-way: how far each cluster got.
  for (const c of r.clusters.filter((c) => c.outcome)) {
    out.push(c.outcome === 'failed' ? `  ${s.mark.fail} ${c.context}: failed in ${c.problem}` : `  ${s.mark.warn} ${c.context}: stopped after the steps above (another cluster failed)`);
  }
  if (r.registrations.length) {
    out.push('', 'Registrations (in the control plane):');
    for (const g of r.registrations) {
      const exp = g.tokenExpiresAt ? `, token expires ${g.tokenExpiresAt.slice(0, 10)}` : '';
      const verified = r.dryRun || g.action === 'deleted' ? '' : g.verified ? ', ' + s.ok('credentials verified') : ', ' + s.fail('NOT verified');
      out.push(`  ${g.context}: ClientConfig ${g.clientConfig}, Secret ${g.secret}, ${g.action}${verified}${exp}`);
    }
  }
  if (r.routability?.pairs.length) out.push('', ...renderRoutability(r.routability, s));
  if (r.datacenter) out.push('', ...datacenterLines(r.datacenter, r.dryRun, s));
  out.push(...closingLines(r, s));
  return out.join('\n').replace(/^\n+/, '') + '\n';
}

/** N x N matrices, rows from, columns to: one for all ports, or one per port where the ports differ. */
function renderRoutability(rt: RoutabilityReport, s: Styler): string[] {
  const out: string[] = [];
  for (const m of routabilityMatrices(rt)) {
    if (out.length) out.push('');
    out.push(`Routability, pod IP to pod IP on TCP ${m.ports.join(', ')} (rows: from, columns: to):`);
    const t = plainTable(['FROM \\ TO', ...m.contexts]);
    m.contexts.forEach((from, i) => t.push([from, ...m.cells[i]!.map((c) => !c ? '-'
      : c.ok ? s.ok(`ok${c.ms === undefined ? '' : ` ${c.ms}ms`}`) : s.fail(`FAIL ${c.errors.join('/')}`))]));
    out.push(t.toString());
  }
  if (rt.apiServers?.length) out.push('', ...renderApiServers(rt.apiServers, s));
  return out;
}

/**
 * One line per address dialled: from the control plane's pods to a data plane's API server. A candidate
 * that failed where another one worked is no failure: it is shown as not reached.
 */
function renderApiServers(reach: ApiServerReach[], s: Styler): string[] {
  const served = new Set(reach.filter((r) => r.used).map((r) => r.to));
  return [`API servers, from a pod of ${reach[0]!.from} (TCP and TLS):`, ...reach.map((r) => {
    const result = r.ok ? s.ok(`ok${r.latencyMs === undefined ? '' : ` ${r.latencyMs}ms`}`)
      : served.has(r.to) ? s.dim(`not reached (${r.error ?? 'error'})`) : s.fail(`FAIL ${r.error ?? 'error'}`);
    return `  ${r.to}: ${r.address} (${r.source}) ${result}${r.used ? ', used for the registration' : ''}`;
  })];
}

function datacenterLines(d: DatacenterReport, dryRun: boolean, s: Styler): string[] {
  const where = `${d.context}${d.k8sContext ? '' : ' (the control plane)'}`;
  const verb = d.action === 'unchanged' ? 'exists with these settings' : dryRun ? 'would be added' : 'added';
  const ready = dryRun ? '' : d.ready ? `, ${s.ok('Ready')}` : `, ${s.warn(`not Ready${d.state ? ` (${d.state})` : ''}`)}`;
  const lines = [`Datacenter ${d.name} in K8ssandraCluster ${d.namespace}/${d.cluster}: ${verb}, context ${where}, size ${d.size}${ready}`];
  if (d.copiedFrom) lines.push(`  copied from ${d.copiedFrom}: ${d.copied.join(', ')}`);
  if (d.replication) lines.push(`  replication: ${Object.entries(d.replication).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (d.dataPlane === 'installed') lines.push(`  ${d.context}: operator installed and registered with the control plane first`);
  return lines;
}
