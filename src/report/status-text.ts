import type { Styler } from '../ui/style.js';
import type { Report } from './model.js';
import { closingLines, plainTable } from './text.js';

/**
 * `status` for people: one row per cluster, the control plane's ClientConfigs, a tree per
 * K8ssandraCluster with its datacenters, then the findings (only what is not fine) and the verdict.
 */
export function renderStatusText(r: Report, s: Styler): string {
  const out: string[] = [];
  const yesNo = (v: boolean | undefined) => (v === undefined ? '-' : v ? s.ok('yes') : s.fail('no'));
  if (r.clusters.length) {
    const t = plainTable(['CONTEXT', 'ROLE', 'KUBERNETES', 'OPERATOR', 'CASS-OPERATOR', 'CERT-MANAGER', 'READY']);
    for (const c of r.clusters) {
      if (c.reachable === false) {
        t.push([c.context, c.role, s.fail('unreachable'), '-', '-', '-', s.fail('no')]);
        continue;
      }
      const op = c.operatorVersion ? `${c.operatorVersion}${c.operatorReady ? '' : ' ' + s.fail('(not ready)')}` : '-';
      const cass = c.cassOperatorVersion ? `${c.cassOperatorVersion}${c.cassOperatorReady ? '' : ' ' + s.fail('(not ready)')}` : '-';
      t.push([c.context, c.role, c.kubernetesVersion ?? '-', op, cass, c.certManager ?? '-', yesNo(c.ready)]);
    }
    out.push(t.toString());
    const recorded = r.clusters.filter((c) => c.installRecord);
    if (recorded.length) {
      out.push('', 'Installed by k8ssandra:');
      for (const c of recorded) {
        const x = c.installRecord!;
        const cm = x.certManagerVersion ? `; cert-manager ${x.certManagerVersion} from ${x.certManagerSource}` : '';
        out.push(`  ${c.context}: k8ssandra ${x.tool}, ${x.clusterScoped ? 'cluster-scoped ' : ''}release ${x.operatorVersion} from ${x.operatorSource}${cm}`);
      }
    }
  }
  const locked = r.clusters.filter((c) => c.locks?.length);
  if (locked.length) {
    out.push('', 'Runs under way (they hold the lock):');
    for (const c of locked) {
      for (const l of c.locks!) {
        const gone = l.expired ? s.warn(`; not renewed since ${l.renewedAt}: that run is gone, the next run takes the lock over`) : '';
        out.push(`  ${c.context}: ${l.holder}, namespace ${l.namespace}, since ${l.since}${gone}`);
      }
    }
  }
  if (r.registrations.length) {
    for (const [cp, regs] of groupBy(r.registrations, (g) => `${g.controlPlane ?? ''}/${g.namespace ?? ''}`)) {
      const [name, ns] = cp.split('/');
      out.push('', `ClientConfigs (in ${name}, namespace ${ns}):`);
      const target = (g: (typeof regs)[number]) => g.userContext ?? `${g.context} (not checked)`;
      const width = Math.max(...regs.map((g) => g.clientConfig.length + target(g).length));
      for (const g of regs) {
        const creds = g.verified ? s.ok('credentials work') : s.fail(`credentials NOT verified: ${g.problem ?? 'unknown'}`);
        const exp = g.tokenExpiresAt ? `, token expires ${g.tokenExpiresAt.slice(0, 10)}` : '';
        const use = g.used || !r.k8ssandraClusters?.length ? '' : s.dim(', unused');
        out.push(`  ${`${g.clientConfig} -> ${target(g)}`.padEnd(width + 6)}${creds}${exp}${use}`);
      }
    }
  }
  if (r.k8ssandraClusters?.length) {
    out.push('', 'K8ssandraClusters:');
    for (const k of r.k8ssandraClusters) {
      out.push(`  ${k.namespace}/${k.name} (control plane ${k.controlPlane}): ${k.ready ? s.ok('ready') : s.fail('not ready')}${k.error ? ` (error: ${k.error})` : ''}`);
      const rows = k.datacenters.map((d) => [d.name, d.context ?? (d.k8sContext || '(control plane)'), d.progress,
        d.readyNodes === undefined ? `size ${d.size}` : `${d.readyNodes}/${d.size} nodes ready`]);
      const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
      rows.forEach((row, i) => {
        const branch = i === rows.length - 1 ? '└─' : '├─';
        const cells = row.map((cell, j) => (j < 3 ? cell.padEnd(widths[j]!) : cell));
        const dc = k.datacenters[i]!;
        cells[2] = dc.ready ? s.ok(cells[2]!) : s.fail(cells[2]!);
        out.push(`    ${branch} ${cells.join('  ')}`);
      });
      if (!k.datacenters.length) out.push('    (no datacenters)');
    }
  }
  out.push(...closingLines(r, s));
  return out.join('\n').replace(/^\n+/, '') + '\n';
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}
