// Results: the connectors' reports back to one pair per planned target.
import type { ApiServerReach, RoutabilityPair } from '../report/model.js';
import type { ProbeReport } from './contract.js';
import type { ConnectorPlan } from './plan.js';

/**
 * Every planned target becomes a pair. A target without a result (a report cut short, a connector that
 * failed) is a failure with the reason given, never silently a success.
 */
export function pairsFromReports(plans: ConnectorPlan[], reports: Map<string, ProbeReport | { failed: string }>): RoutabilityPair[] {
  const pairs: RoutabilityPair[] = [];
  for (const plan of plans) {
    const report = reports.get(plan.name);
    // The same target may be planned twice (two clusters with the same pod IP): results are used in order.
    const byTarget = new Map<string, ProbeReport['results']>();
    for (const r of report && 'results' in report ? report.results : []) byTarget.set(r.target, [...(byTarget.get(r.target) ?? []), r]);
    for (const t of plan.targets) {
      const r = byTarget.get(t.target)?.shift();
      const missing = !report ? 'no result' : 'failed' in report ? report.failed : 'not reported';
      pairs.push(r
        ? { from: plan.from, to: t.to, port: t.port, target: t.target, ok: r.ok, ...(r.ms === undefined ? {} : { ms: r.ms }), ...(r.ok ? {} : { error: r.error ?? 'error' }) }
        : { from: plan.from, to: t.to, port: t.port, target: t.target, ok: false, error: missing });
    }
  }
  return pairs;
}

/** The API-server targets of the plans back to one entry each; one without a result is a failure, as above. */
export function apiServersFromReports(plans: ConnectorPlan[], reports: Map<string, ProbeReport | { failed: string }>): ApiServerReach[] {
  return plans.flatMap((plan) => {
    const report = reports.get(plan.name);
    const results = report && 'results' in report ? report.results : [];
    return (plan.apiServers ?? []).map((t) => {
      const r = results.find((x) => x.target === t.address);
      const missing = !report ? 'no result' : 'failed' in report ? report.failed : 'not reported';
      return { from: plan.from, to: t.to, address: t.address, source: t.source, ok: !!r?.ok,
        ...(r?.ms === undefined ? {} : { latencyMs: r.ms }), ...(r?.ok ? {} : { error: r ? r.error ?? 'error' : missing }) };
    });
  });
}
