// The Kubernetes I/O of the probe. A listener pod in every cluster accepts TCP on the Cassandra ports;
// a connector pod in every cluster connects to every other cluster's listener pod IP and leaves its
// results in its termination message, read back through the API (no exec, no port-forward: creating and
// deleting pods in one namespace is all it needs).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeSettings } from '../defaults.js';
import { CliError, describe } from '../errors.js';
import { ApiError } from '../kube/client.js';
import { FIELD_MANAGER } from '../model/field-manager.js';
import { applyObject, deleteObject, getObject, listObjects } from '../kube/resources.js';
import type { ApiServerReach, RoutabilityPair, RoutabilityReport } from '../report/model.js';
import type { Cluster } from '../kube/connect.js';
import { waitUntil } from '../util/wait.js';
import { PROBE_CONNECTOR, PROBE_LABEL, PROBE_LISTENER, PROBE_RUN_LABEL, type ProbeRole } from './contract.js';
import { mergeRetry, planApiServers, planConnectors, planRetry, probePodName, type ApiServerTarget, type ConnectorPlan } from './plan.js';
import { connectorOutcome, connectorPod, listenerIp, listenerPod, podProblem, podState } from './pods.js';
import { apiServersFromReports, pairsFromReports } from './results.js';

const MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Probe pods that any run of this tool left: what a later run cleans up. */
export const LEFTOVER_SELECTOR = `${PROBE_LABEL},${MANAGED_BY}=${FIELD_MANAGER}`;

export interface ProbeOptions extends ProbeSettings {
  namespace: string;
  /** Absolute deadline for the whole probe (--timeout). */
  deadline: number;
  signal?: AbortSignal;
  runId?: string;
  /** API server addresses to dial from one cluster (the control plane): its connector pod is created with the others. */
  apiServers?: { from: string; targets: ApiServerTarget[] };
}

interface ClusterProbe { cluster: Cluster; pods: string[] }

const podRef = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace, name });
const namespaceRef = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', name });
const CLEANUP_MS = 30_000;
const RETRY_PAUSE_MS = 1000;
const podKey = (p: ClusterProbe, name: string) => `${p.cluster.ctx.name}/${name}`;

/**
 * The probe runs in a namespace that is there: the run's lock made it where it was missing (and deletes
 * it again when the run leaves nothing else in it). Gone or going now means someone deleted it meanwhile.
 */
async function namespaceThere(p: ClusterProbe, o: ProbeOptions): Promise<void> {
  const { client } = p.cluster;
  const current = await getObject(client, namespaceRef(o.namespace)).catch((e) => {
    if (e instanceof ApiError && e.status === 403) return { status: { phase: 'Active' } }; // may not read it: assume it is there
    throw e;
  });
  if (current && current.status?.phase !== 'Terminating') return;
  throw new CliError('conflict', `${client.context}: namespace ${o.namespace} was deleted while this run worked`, { context: client.context,
    hint: 'another client deleted it: run the same command again' });
}

/**
 * Probe pods of earlier runs: a killed run cannot clean up after itself. Only a run that holds the lock of
 * the cluster probes there, so any other run's probe pods belong to a run that is gone.
 */
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

/** Deletes this run's pods and waits until they are gone; returns what failed. */
async function cleanup(probes: ClusterProbe[], o: ProbeOptions): Promise<CleanupFailure[]> {
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
 * before it returns.
 */
export async function probeRoutability(clusters: Cluster[], o: ProbeOptions, note: (line: string) => void,
  progress: (what: string) => void = () => {}): Promise<ProbeOutcome> {
  const runId = o.runId ?? randomBytes(4).toString('hex');
  const probes: ClusterProbe[] = clusters.map((cluster) => ({ cluster, pods: [] }));
  const report: RoutabilityReport = { runId, namespace: o.namespace, probeImage: o.image, timeoutMs: o.timeoutMs, ports: o.ports, listeners: [], pairs: [] };
  let cleanupFailures: CleanupFailure[] = [];
  try {
    progress('listeners');
    await Promise.all(probes.map(async (p) => {
      o.signal?.throwIfAborted();
      await namespaceThere(p, o);
      const left = await deleteLeftovers(p, o.namespace);
      if (left) note(`${p.cluster.ctx.name}: deleted ${left} probe pod(s) an earlier run left behind`);
      const pod = listenerPod(o.namespace, runId, o);
      p.pods.push(pod.metadata.name);
      await applyObject(p.cluster.client, pod);
    }));
    const listener = probePodName(PROBE_LISTENER, runId);
    const ips = await waitForPods('the probe listener pods to be ready', PROBE_LISTENER, probes.map((p) => ({ p, name: listener })), o, listenerIp);
    report.listeners = probes.map((p) => ({ context: p.cluster.ctx.name, podIP: ips.get(podKey(p, listener))! }));
    const plans = planConnectors(report.listeners, o.ports, runId);
    const apiPlans = o.apiServers ? planApiServers(o.apiServers.from, o.apiServers.targets, runId) : [];

    const byContext = new Map(probes.map((p) => [p.cluster.ctx.name, p]));
    const connect = async (batch: ConnectorPlan[]): Promise<{ pairs: RoutabilityPair[]; apiServers: ApiServerReach[] }> => {
      o.signal?.throwIfAborted();
      await Promise.all(batch.map(async (plan) => {
        const p = byContext.get(plan.from)!;
        p.pods.push(plan.name);
        await applyObject(p.cluster.client, connectorPod(o.namespace, runId, plan, o));
      }));
      const outcomes = await waitForPods('the probe connector pods to finish', PROBE_CONNECTOR,
        batch.map((plan) => ({ p: byContext.get(plan.from)!, name: plan.name })), o, connectorOutcome);
      const reports = new Map(batch.map((plan) => [plan.name, outcomes.get(podKey(byContext.get(plan.from)!, plan.name))!]));
      return { pairs: pairsFromReports(batch, reports), apiServers: apiServersFromReports(batch, reports) };
    };
    progress(apiPlans.length ? 'connectors (and the data planes\' API servers from the control plane)' : 'connectors');
    const { pairs: first, apiServers } = await connect([...plans, ...apiPlans]);
    if (apiPlans.length) report.apiServers = apiServers;
    const retry = planRetry(first, o.timeoutMs, runId);
    if (retry.length) {
      progress('connectors (second attempt for quick failures)');
      await sleep(RETRY_PAUSE_MS, undefined, { signal: o.signal });
    }
    report.pairs = retry.length ? mergeRetry(first, (await connect(retry)).pairs) : first;
  } finally {
    if (o.signal?.aborted) note('interrupted: deleting the probe pods (a moment)');
    progress('cleaning up');
    cleanupFailures = await cleanup(probes, o);
    // Said here too: when the probe failed, the caller never sees the outcome.
    for (const f of cleanupFailures) note(`${f.context}: could not delete the probe pods (${f.message}): kubectl delete pods -n ${o.namespace} -l ${PROBE_RUN_LABEL}=${runId}`);
  }
  return { report, cleanupFailures };
}
