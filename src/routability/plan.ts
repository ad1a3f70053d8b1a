// The plan: which connector pod dials which listener on which port, and the second round for quick failures.
import type { RoutabilityPair } from '../report/model.js';
import { PROBE_CONNECTOR, targetOf, type ProbeRole } from './contract.js';

/** Targets per connector pod: their report must fit the termination message (contract.ts MESSAGE_LIMIT). */
export const MAX_TARGETS_PER_CONNECTOR = 40;

export interface ListenerAddress { context: string; podIP: string }
export interface ProbeTarget { to: string; port: number; target: string }
/** An API server address to reach from the control plane (contract.ts ENV_API_SERVERS); `source` says where it came from. */
export interface ApiServerTarget { to: string; address: string; source: string }
export interface ConnectorPlan { from: string; name: string; targets: ProbeTarget[]; apiServers?: ApiServerTarget[] }

export const probePodName = (role: ProbeRole, runId: string, suffix?: string | number) =>
  `k8ssandra-probe-${role}-${runId}${suffix === undefined ? '' : `-${suffix}`}`;

/** Connector pods for targets per from-cluster, each pod with at most MAX_TARGETS_PER_CONNECTOR of them. */
function connectorPlans(targetsByFrom: Map<string, ProbeTarget[]>, name: (i: number) => string): ConnectorPlan[] {
  const plans: ConnectorPlan[] = [];
  for (const [from, targets] of targetsByFrom) {
    for (let i = 0; i * MAX_TARGETS_PER_CONNECTOR < targets.length; i++) {
      plans.push({ from, name: name(plans.length), targets: targets.slice(i * MAX_TARGETS_PER_CONNECTOR, (i + 1) * MAX_TARGETS_PER_CONNECTOR) });
    }
  }
  return plans;
}

/** From every cluster, every other cluster's listener on every port. */
export function planConnectors(listeners: ListenerAddress[], ports: number[], runId: string): ConnectorPlan[] {
  return connectorPlans(new Map(listeners.map((from) => [from.context, listeners.filter((l) => l.context !== from.context)
    .flatMap((l) => ports.map((port) => ({ to: l.context, port, target: targetOf(l.podIP, port) })))])), (i) => probePodName(PROBE_CONNECTOR, runId, i));
}

/**
 * The connector that dials, from the control plane, every candidate address of every data plane's API
 * server: its own pod, so that its report never crowds out the pod-IP results (a handful of addresses).
 */
export function planApiServers(from: string, targets: ApiServerTarget[], runId: string): ConnectorPlan[] {
  return targets.length ? [{ from, name: probePodName(PROBE_CONNECTOR, runId, 'api'), targets: [], apiServers: targets }] : [];
}

/**
 * A second round for the targets that failed fast (refused, reset, unreachable: well within the timeout),
 * so that a listener socket opened a moment late or a route programmed a moment late is not reported as
 * a failure. Timeouts are not repeated: they would cost the whole timeout again.
 */
export function planRetry(pairs: RoutabilityPair[], timeoutMs: number, runId: string): ConnectorPlan[] {
  const byFrom = new Map<string, ProbeTarget[]>();
  for (const p of pairs.filter((p) => !p.ok && p.ms !== undefined && p.ms < timeoutMs / 2)) {
    byFrom.set(p.from, [...(byFrom.get(p.from) ?? []), { to: p.to, port: p.port, target: p.target }]);
  }
  return connectorPlans(byFrom, (i) => probePodName(PROBE_CONNECTOR, runId, `retry-${i}`));
}

/** The pairs with the second round's results in place of the first's. */
export function mergeRetry(pairs: RoutabilityPair[], retried: RoutabilityPair[]): RoutabilityPair[] {
  const again = new Map(retried.map((p) => [`${p.from} ${p.to} ${p.port}`, p]));
  return pairs.map((p) => again.get(`${p.from} ${p.to} ${p.port}`) ?? p);
}
