// Step 3: pod-IP routability between clusters. A listener pod in every cluster accepts TCP on the
// Cassandra ports; a connector pod in every cluster connects to every other cluster's listener pod IP
// and leaves its results in its termination message, read back through the API (no exec, no
// port-forward: creating and deleting pods in one namespace is all it needs). The pure parts (target
// plan, results, matrix, diagnosis) come first; the Kubernetes I/O is `probeRoutability` at the end.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { check, type Check } from '../checks/catalog.js';
import { CliError, describe } from '../errors.js';
import { ApiError } from '../kube/client.js';
import { applyObject, deleteObject, FIELD_MANAGER, getObject, listObjects, type KubeObject } from '../kube/resources.js';
import { loadTemplate } from '../plan/templates.js';
import type { RoutabilityPair, RoutabilityReport } from '../report/model.js';
import { ipInCidr } from '../util/cidr.js';
import { waitUntil } from '../util/wait.js';
import { DEFAULT_PROBE, DEFAULT_PROBE_IMAGE, DEFAULT_PROBE_PORTS, DEFAULT_PROBE_TIMEOUT_MS, type ProbeSettings } from '../defaults.js';
export { DEFAULT_PROBE, DEFAULT_PROBE_IMAGE, DEFAULT_PROBE_PORTS, DEFAULT_PROBE_TIMEOUT_MS, type ProbeSettings };
import type { Cluster } from '../kube/connect.js';
import { overlappingPodCidrs, type CidrOverlap } from '../checks/preflight.js';
import type { ClusterFacts } from '../checks/preflight-facts.js';

/** Internode, internode TLS, CQL, management API. */

/** Marks every probe pod (value: listener | connector); with managed-by, what a later run cleans up. */
export const PROBE_LABEL = 'k8ssandra.io/probe';
/** The run a probe pod belongs to. */
export const PROBE_RUN_LABEL = 'k8ssandra.io/probe-run';
const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LEFTOVER_SELECTOR = `${PROBE_LABEL},${MANAGED_BY}=${FIELD_MANAGER}`;

/** Targets per connector pod: their report must fit the 4096 bytes of a termination message. */
export const MAX_TARGETS_PER_CONNECTOR = 40;

export type ProbeRole = 'listener' | 'connector';

// ---------------------------------------------------------------------------------------------------
// The plan: which connector pod dials which listener on which port.

export interface ListenerAddress { context: string; podIP: string }
export interface ProbeTarget { to: string; port: number; target: string }
export interface ConnectorPlan { from: string; name: string; targets: ProbeTarget[] }

export const probePodName = (role: ProbeRole, runId: string, suffix?: string | number) =>
  `k8ssandra-probe-${role}-${runId}${suffix === undefined ? '' : `-${suffix}`}`;

export const targetOf = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

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
    .flatMap((l) => ports.map((port) => ({ to: l.context, port, target: targetOf(l.podIP, port) })))])), (i) => probePodName('connector', runId, i));
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
  return connectorPlans(byFrom, (i) => probePodName('connector', runId, `retry-${i}`));
}

/** The pairs with the second round's results in place of the first's. */
export function mergeRetry(pairs: RoutabilityPair[], retried: RoutabilityPair[]): RoutabilityPair[] {
  const again = new Map(retried.map((p) => [`${p.from} ${p.to} ${p.port}`, p]));
  return pairs.map((p) => again.get(`${p.from} ${p.to} ${p.port}`) ?? p);
}

// ---------------------------------------------------------------------------------------------------
// Results: a connector's termination message back to pairs.

/** The connector's termination message (testbed/probe-contract.ts ProbeReport). */
export interface ProbeReport { results: { target: string; ok: boolean; ms?: number; error?: string }[]; omitted?: number }

export function parseProbeReport(message: string | undefined): ProbeReport | undefined {
  try {
    const r = JSON.parse(message ?? '') as ProbeReport;
    return Array.isArray(r?.results) ? r : undefined;
  } catch {
    return undefined;
  }
}

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

// ---------------------------------------------------------------------------------------------------
// The matrix: rows are from-clusters, columns to-clusters.

export interface MatrixCell { ok: boolean; ms?: number; errors: string[] }
export interface Matrix { ports: number[]; contexts: string[]; cells: (MatrixCell | undefined)[][] }

function cellOf(pairs: RoutabilityPair[]): MatrixCell | undefined {
  if (!pairs.length) return undefined;
  const ms = pairs.map((p) => p.ms).filter((m): m is number => m !== undefined);
  return { ok: pairs.every((p) => p.ok), ...(ms.length ? { ms: Math.max(...ms) } : {}),
    errors: [...new Set(pairs.filter((p) => !p.ok).map((p) => p.error ?? 'error'))] };
}

/**
 * One matrix for all ports when every pair fares the same on each of them; otherwise one per port.
 * A cell is undefined on the diagonal (and wherever nothing was probed).
 */
export function routabilityMatrices(r: Pick<RoutabilityReport, 'ports' | 'pairs' | 'listeners'>): Matrix[] {
  const contexts = [...new Set([...r.listeners.map((l) => l.context), ...r.pairs.flatMap((p) => [p.from, p.to])])];
  const between = (from: string, to: string) => r.pairs.filter((p) => p.from === from && p.to === to);
  const uniform = contexts.every((from) => contexts.every((to) => new Set(between(from, to).map((p) => p.ok)).size <= 1));
  const build = (ports: number[]): Matrix => ({ ports, contexts,
    cells: contexts.map((from) => contexts.map((to) => cellOf(between(from, to).filter((p) => ports.includes(p.port))))) });
  return uniform ? [build(r.ports)] : r.ports.map((port) => build([port]));
}

// ---------------------------------------------------------------------------------------------------
// The diagnosis: why a pair fails, from the results and the pod ranges.

export interface PodNetwork {
  /** Node pod CIDRs per context (preflight facts). */
  podCidrs: Map<string, string[]>;
  overlaps: CidrOverlap[];
  namespace: string;
}

const list = (xs: (string | number)[]) => xs.join(', ');

/** The most likely cause of a failing pair, and what to do about it, as a hint. */
export function diagnosePair(from: string, to: string, r: Pick<RoutabilityReport, 'pairs' | 'listeners'>, net: PodNetwork): string {
  const pairs = r.pairs.filter((p) => p.from === from && p.to === to);
  const back = r.pairs.filter((p) => p.from === to && p.to === from);
  const failing = pairs.filter((p) => !p.ok);
  const passing = pairs.filter((p) => p.ok);
  const errors = new Set(failing.map((p) => p.error));
  const overlap = net.overlaps.find((o) => (o.a === from && o.b === to) || (o.a === to && o.b === from));
  if (overlap) {
    return `the pod CIDRs of ${overlap.a} (${overlap.cidrA}) and ${overlap.b} (${overlap.cidrB}) overlap: ${from} keeps traffic for those addresses `
      + 'inside its own network. Give every cluster its own pod range (this cannot be fixed with routes)';
  }
  const toIp = r.listeners.find((l) => l.context === to)?.podIP;
  const inFrom = toIp ? (net.podCidrs.get(from) ?? []).find((c) => ipInCidr(toIp, c)) : undefined;
  if (inFrom) {
    return `${to}'s pod IP ${toIp} lies inside ${from}'s pod range ${inFrom}: the pod networks overlap. Give every cluster its own pod range`;
  }
  if (errors.has('no result') || errors.has('not reported') || [...errors].some((e) => e?.startsWith('probe '))) {
    return `the probe in ${from} gave no result for these targets: see the probe pod's events (kubectl get events -n ${net.namespace} --context ${from}) and run the check again`;
  }
  if (passing.length) {
    const ports = failing.map((p) => p.port);
    return `TCP ${list(ports)} is blocked from ${from} to ${to} while ${list(passing.map((p) => p.port))} pass: a firewall on the port. Allow TCP ${list(ports)} `
      + `from ${from}'s pod range to ${to}'s pod range (security groups, firewall rules, NetworkPolicy in namespace ${net.namespace})`;
  }
  if (back.length && back.every((p) => p.ok)) {
    return `${to} reaches ${from} but not the other way round: a firewall or security group that allows one direction only, or a missing return route`;
  }
  if (errors.size === 1 && errors.has('refused')) {
    return `${toIp ?? 'the pod IP'} refuses connections from ${from} on every port: the address is not ${to}'s pod as ${from} sees it `
      + '(NAT, or the same address in another network); pod IPs must be routable without NAT';
  }
  if (errors.size === 1 && errors.has('reset')) {
    return `connections from ${from} to ${to} are reset: a firewall rejects traffic between the two pod ranges; allow TCP ${list(failing.map((p) => p.port))}`;
  }
  return `no route from ${from}'s pods to ${to}'s pod IPs: put the clusters in one VPC or network, or peer their networks with routes for the pod ranges, `
    + `and allow TCP ${list(failing.map((p) => p.port))} between them; overlay pod networks (not routable outside their cluster) need a multi-cluster network`;
}

/** The verdicts: one ROUTABILITY failure per failing pair of clusters with its diagnosis, else one pass. */
export function routabilityChecks(r: Pick<RoutabilityReport, 'pairs' | 'listeners' | 'ports'>, net: PodNetwork): Check[] {
  const out: Check[] = [];
  for (const l of r.listeners) {
    const cidrs = net.podCidrs.get(l.context) ?? [];
    if (cidrs.length && !cidrs.some((c) => ipInCidr(l.podIP, c))) {
      out.push(check('POD-CIDR-OVERLAP', 'warn', `${l.context}: pod IP ${l.podIP} is outside the nodes' pod CIDRs (${list(cidrs)}); the overlap check compared incomplete ranges`,
        { context: l.context, hint: 'the CNI assigns pod IPs from other ranges (for example VPC subnets): make sure no two clusters share them' }));
    }
  }
  const seen = new Set<string>();
  for (const p of r.pairs) {
    const key = `${p.from}\u0000${p.to}`;
    if (p.ok || seen.has(key)) continue;
    seen.add(key);
    const failing = r.pairs.filter((q) => q.from === p.from && q.to === p.to && !q.ok);
    const ip = r.listeners.find((l) => l.context === p.to)?.podIP ?? p.target;
    out.push(check('ROUTABILITY', 'fail',
      `${p.from}: cannot reach ${p.to} (pod IP ${ip}) on TCP ${list(failing.map((q) => q.port))} (${list([...new Set(failing.map((q) => q.error ?? 'error'))])})`,
      { context: p.from, hint: diagnosePair(p.from, p.to, r, net) }));
  }
  if (!seen.size) {
    const n = new Set(r.listeners.map((l) => l.context)).size;
    out.push(check('ROUTABILITY', 'pass', `pod IPs are routable between all ${n} clusters on TCP ${list(r.ports)}`));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Probe pods: the objects, and what their status says.


function setEnv(container: any, name: string, value: string): void {
  const e = (container.env as { name: string; value: string }[]).find((x) => x.name === name);
  if (!e) throw new Error(`template lacks env ${name}`);
  e.value = value;
}

export function listenerPod(namespace: string, runId: string, s: ProbeSettings): KubeObject {
  const [pod] = loadTemplate('probe-listener.yaml') as [KubeObject];
  Object.assign(pod.metadata, { name: probePodName('listener', runId), namespace });
  pod.metadata.labels![PROBE_RUN_LABEL] = runId;
  const c = pod.spec.containers[0];
  c.image = s.image;
  c.ports = s.ports.map((containerPort) => ({ containerPort, protocol: 'TCP' }));
  setEnv(c, 'PROBE_PORTS', s.ports.join(' '));
  return pod;
}

export function connectorPod(namespace: string, runId: string, plan: ConnectorPlan, s: ProbeSettings): KubeObject {
  const [pod] = loadTemplate('probe-connector.yaml') as [KubeObject];
  Object.assign(pod.metadata, { name: plan.name, namespace });
  pod.metadata.labels![PROBE_RUN_LABEL] = runId;
  const c = pod.spec.containers[0];
  c.image = s.image;
  setEnv(c, 'PROBE_TARGETS', plan.targets.map((t) => t.target).join(' '));
  setEnv(c, 'PROBE_TIMEOUT_MS', String(s.timeoutMs));
  return pod;
}

/** Waiting reasons that will not go away by waiting. */
const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff']);

/** Why a probe pod will never do its job, if that is already clear. */
export function podProblem(pod: any, role: ProbeRole): string | undefined {
  const status = pod?.status ?? {};
  const c = status.containerStatuses?.[0];
  const waiting = c?.state?.waiting;
  if (waiting && STUCK.has(waiting.reason)) return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  const terminated = c?.state?.terminated;
  if (status.phase === 'Failed' || (role === 'listener' && terminated)) {
    const what = terminated?.message?.trim() || terminated?.reason || status.reason || 'failed';
    return `exited${terminated ? ` with code ${terminated.exitCode}` : ''}: ${what}`;
  }
  return undefined;
}

/** A listener is ready for connectors once Running and Ready with a pod IP. */
export function listenerIp(pod: any): string | undefined {
  const s = pod?.status;
  const ready = s?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
  return s?.phase === 'Running' && ready && s.podIP ? s.podIP : undefined;
}

/** A finished connector's report (or why it has none); undefined while it runs. */
export function connectorOutcome(pod: any): ProbeReport | { failed: string } | undefined {
  const phase = pod?.status?.phase;
  if (phase !== 'Succeeded' && phase !== 'Failed') return undefined;
  const terminated = pod.status.containerStatuses?.[0]?.state?.terminated;
  return parseProbeReport(terminated?.message) ?? { failed: `probe ${phase.toLowerCase()}: ${terminated?.message?.trim() || terminated?.reason || 'no report'}` };
}

/** A pod's state in a few words, for progress and timeouts. */
export function podState(pod: any): string {
  if (!pod) return 'not found';
  const s = pod.status ?? {};
  const scheduled = s.conditions?.find((c: any) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return `${scheduled.reason ?? 'unscheduled'}${scheduled.message ? `: ${scheduled.message}` : ''}`;
  const waiting = s.containerStatuses?.[0]?.state?.waiting;
  return waiting?.reason ?? s.phase ?? 'Pending';
}

// ---------------------------------------------------------------------------------------------------
// The Kubernetes I/O.

export interface ProbeOptions extends ProbeSettings {
  namespace: string;
  /** Absolute deadline for the whole probe (--timeout). */
  deadline: number;
  signal?: AbortSignal;
  /** Keep a namespace this run created when every pair is routable (install goes on to use it). */
  keepCreatedNamespace?: boolean;
  runId?: string;
}

interface ClusterProbe { cluster: Cluster; namespaceCreated: boolean; pods: string[] }

const podRef = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace, name });
const namespaceRef = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', name });
const CLEANUP_MS = 30_000;
const RETRY_PAUSE_MS = 1000;
const podKey = (p: ClusterProbe, name: string) => `${p.cluster.ctx.name}/${name}`;

/** Uses the namespace if it is there (waiting out a deletion in progress); creates it otherwise. */
async function ensureNamespace(p: ClusterProbe, o: ProbeOptions): Promise<void> {
  const { client } = p.cluster;
  const current = await getObject(client, namespaceRef(o.namespace)).catch((e) => {
    if (e instanceof ApiError && e.status === 403) return { status: { phase: 'Active' } }; // may not read it: assume it is there
    throw e;
  });
  if (current?.status?.phase === 'Terminating') {
    await waitUntil(`namespace ${o.namespace} in ${client.context} to finish terminating`,
      async () => ((await getObject(client, namespaceRef(o.namespace))) ? undefined : true), { deadline: o.deadline, signal: o.signal });
  } else if (current) return;
  await applyObject(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace, labels: { [MANAGED_BY]: FIELD_MANAGER } } });
  p.namespaceCreated = true;
}

/** Probe pods of earlier runs (a killed run cannot clean up after itself). */
async function deleteLeftovers(p: ClusterProbe, namespace: string): Promise<number> {
  const pods = await listObjects(p.cluster.client, { apiVersion: 'v1', kind: 'Pod', namespace }, { labelSelector: LEFTOVER_SELECTOR });
  await Promise.all(pods.map((pod) => deleteObject(p.cluster.client, podRef(namespace, pod.metadata.name))));
  return pods.length;
}

/**
 * Polls every cluster's probe pods until `done` has a value for each, failing early on a stuck pod.
 * Results are keyed by "context/name" (every cluster's listener has the same name).
 */
async function waitForPods<T>(what: string, role: ProbeRole, pods: { p: ClusterProbe; name: string }[], o: ProbeOptions,
  done: (pod: any) => T | undefined): Promise<Map<string, T>> {
  const results = new Map<string, T>();
  const states = new Map<string, string>();
  const keyed = pods.map((x) => ({ ...x, key: podKey(x.p, x.name) }));
  try {
    return await waitUntil(what, async () => {
      await Promise.all(keyed.filter(({ key }) => !results.has(key)).map(async ({ p, name, key }) => {
        const pod = await getObject(p.cluster.client, podRef(o.namespace, name));
        const problem = podProblem(pod, role);
        if (problem) {
          throw new CliError('checksFailed', `the probe ${role} pod in ${p.cluster.ctx.name} cannot run: ${problem}`, { context: p.cluster.ctx.name,
            hint: `the probe image ${o.image} must be pullable in every cluster and have sh and nc (busybox): pass --probe-image with a copy in your registry` });
        }
        const value = done(pod);
        if (value !== undefined) results.set(key, value);
        else states.set(key, `${p.cluster.ctx.name} ${podState(pod)}`);
      }));
      return results.size === keyed.length ? results : undefined;
    }, { deadline: o.deadline, signal: o.signal, intervalMs: 200 },
    () => keyed.filter(({ key }) => !results.has(key)).map(({ key }) => states.get(key)).join(', '));
  } catch (e) {
    if (e instanceof CliError && e.exit === 'timeout') {
      throw new CliError('timeout', e.message, { hint: `the probe pods must be scheduled and started within --timeout: check their events (kubectl get events -n ${o.namespace}), node capacity, image pulls (--probe-image)` });
    }
    throw e;
  }
}

export interface CleanupFailure { context: string; message: string }

/** Deletes this run's pods (and a namespace it created, unless kept) and waits until they are gone; returns what failed. */
async function cleanup(probes: ClusterProbe[], o: ProbeOptions, keepNamespace: boolean): Promise<CleanupFailure[]> {
  const failures: CleanupFailure[] = [];
  const deadline = Date.now() + CLEANUP_MS;
  await Promise.all(probes.map(async (p) => {
    // Detached: the cleanup runs after Ctrl-C and after the command's deadline too, bounded by its own.
    const client = p.cluster.client.detached();
    try {
      await Promise.all(p.pods.map((name) => deleteObject(client, podRef(o.namespace, name))));
      await waitUntil(`probe pods in ${client.context} to be deleted`, async () => {
        const left = await Promise.all(p.pods.map((name) => getObject(client, podRef(o.namespace, name))));
        return left.some(Boolean) ? undefined : true;
      }, { deadline });
      if (p.namespaceCreated && !keepNamespace) await deleteObject(client, namespaceRef(o.namespace));
    } catch (e) {
      failures.push({ context: client.context, message: describe(e) });
    }
  }));
  return failures;
}

export interface ProbeOutcome { report: RoutabilityReport; cleanupFailures: CleanupFailure[] }

/**
 * Runs the probe in every cluster in parallel: listeners first, then connectors aimed at the listeners'
 * pod IPs. Whatever happens (failure, timeout, Ctrl-C through `signal`), this run's pods are deleted
 * before it returns, and so is the namespace if this run created it.
 */
export async function probeRoutability(clusters: Cluster[], o: ProbeOptions, note: (line: string) => void,
  progress: (what: string) => void = () => {}): Promise<ProbeOutcome> {
  const runId = o.runId ?? randomBytes(4).toString('hex');
  const probes: ClusterProbe[] = clusters.map((cluster) => ({ cluster, namespaceCreated: false, pods: [] }));
  const report: RoutabilityReport = { runId, namespace: o.namespace, probeImage: o.image, timeoutMs: o.timeoutMs, ports: o.ports, listeners: [], pairs: [] };
  let cleanupFailures: CleanupFailure[] = [];
  try {
    progress('listeners');
    await Promise.all(probes.map(async (p) => {
      o.signal?.throwIfAborted();
      await ensureNamespace(p, o);
      const left = await deleteLeftovers(p, o.namespace);
      if (left) note(`${p.cluster.ctx.name}: deleted ${left} probe pod(s) an earlier run left behind`);
      const pod = listenerPod(o.namespace, runId, o);
      p.pods.push(pod.metadata.name);
      await applyObject(p.cluster.client, pod);
    }));
    const listener = probePodName('listener', runId);
    const ips = await waitForPods('the probe listener pods to be ready', 'listener', probes.map((p) => ({ p, name: listener })), o, listenerIp);
    report.listeners = probes.map((p) => ({ context: p.cluster.ctx.name, podIP: ips.get(podKey(p, listener))! }));
    const plans = planConnectors(report.listeners, o.ports, runId);

    const byContext = new Map(probes.map((p) => [p.cluster.ctx.name, p]));
    const connect = async (batch: ConnectorPlan[]): Promise<RoutabilityPair[]> => {
      o.signal?.throwIfAborted();
      await Promise.all(batch.map(async (plan) => {
        const p = byContext.get(plan.from)!;
        p.pods.push(plan.name);
        await applyObject(p.cluster.client, connectorPod(o.namespace, runId, plan, o));
      }));
      const outcomes = await waitForPods('the probe connector pods to finish', 'connector',
        batch.map((plan) => ({ p: byContext.get(plan.from)!, name: plan.name })), o, connectorOutcome);
      return pairsFromReports(batch, new Map(batch.map((plan) => [plan.name, outcomes.get(podKey(byContext.get(plan.from)!, plan.name))!])));
    };
    progress('connectors');
    const first = await connect(plans);
    const retry = planRetry(first, o.timeoutMs, runId);
    if (retry.length) {
      progress('connectors (second attempt for quick failures)');
      await sleep(RETRY_PAUSE_MS, undefined, { signal: o.signal });
    }
    report.pairs = retry.length ? mergeRetry(first, await connect(retry)) : first;
  } finally {
    if (o.signal?.aborted) note('interrupted: deleting the probe pods (a moment)');
    progress('cleaning up');
    const keep = !!o.keepCreatedNamespace && report.pairs.length > 0 && report.pairs.every((p) => p.ok);
    cleanupFailures = await cleanup(probes, o, keep);
    for (const p of probes.filter((x) => x.namespaceCreated)) {
      note(`${p.cluster.ctx.name}: namespace ${o.namespace} created for the probe${keep ? ' (kept for the install)' : ', deleted again'}`);
    }
    // Said here too: when the probe failed, the caller never sees the outcome.
    for (const f of cleanupFailures) note(`${f.context}: could not delete the probe pods (${f.message}): kubectl delete pods -n ${o.namespace} -l ${PROBE_RUN_LABEL}=${runId}`);
  }
  return { report, cleanupFailures };
}

export interface RoutabilityStepOptions extends ProbeOptions { facts: ClusterFacts[] }

/**
 * Step 3 as both `check` and `install` run it: probes the clusters (Ctrl-C deletes the probes and ends
 * the command with exit 130), then turns the results into checks with a diagnosis per failing pair.
 */
export async function checkRoutability(clusters: Cluster[], o: RoutabilityStepOptions, note: (line: string) => void,
  progress?: (what: string) => void): Promise<{ report?: RoutabilityReport; checks: Check[] }> {
  if (clusters.length < 2) return { checks: [check('ROUTABILITY', 'pass', 'a single cluster: no pod IPs to probe between clusters')] };
  const { report, cleanupFailures } = await probeRoutability(clusters, { ...o, signal: o.signal ?? clusters[0]!.client.signal }, note, progress);
  const net: PodNetwork = { namespace: o.namespace, overlaps: overlappingPodCidrs(o.facts),
    podCidrs: new Map(o.facts.map((f) => [f.context, f.podCidrs])) };
  const checks = routabilityChecks(report, net);
  for (const f of cleanupFailures) {
    checks.push(check('ROUTABILITY', 'warn', `${f.context}: could not delete the probe pods: ${f.message}`, { context: f.context,
      hint: `delete them with kubectl delete pods -n ${o.namespace} -l ${PROBE_RUN_LABEL}=${report.runId}` }));
  }
  return { report, checks };
}
