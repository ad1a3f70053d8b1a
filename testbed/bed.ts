// The test bed as functions: up, down, status, cut, heal. The CLI (testbed/cli.ts), the vitest global
// setup and benchmarks all call these; nothing here needs a shell.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { binDir, ensureBinaries, haveBinaries } from './binaries.js';
import { addCut, readCuts, removeCuts, type Cut } from './cuts.js';
import { Kube, KubeError, loadContexts } from './kube.js';
import {
  clusterDir,
  clusterKubeconfig,
  clusterPids,
  createCluster,
  deleteCluster,
  existingContexts,
  restartCluster,
  startTimeoutMs,
} from './kwokctl.js';
import { kubeCacheDir, kubeconfigPath, safetyCheckPath, stateDir } from './paths.js';
import { agentOutdated, agentPid, isOurs, rssBytes, startAgent, stopAgent } from './processes.js';
import { chooseSlot, releaseSlot } from './slots.js';
import { bedSlot, clusterIndex, contextName, kwokClusterName, MAX_CLUSTERS, NODE_NAME, podCidr, serviceCidr } from './topology.js';

export { kubeconfigPath } from './paths.js';
export { podCidr, serviceCidr, contextName } from './topology.js';

type Log = (line: string) => void;

/** etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok-controller. */
const COMPONENTS = 5;
const stderrLog: Log = (line) => process.stderr.write(`[testbed] ${line}\n`);

async function timed<T>(timings: Record<string, number>, label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = Math.round(performance.now() - start);
  }
}

/** A component exited while its cluster started: no use waiting for it any longer. */
class ComponentExited extends Error {}

/** The machine's load, for messages about waits that ran out: a loaded machine is the usual cause. */
function loadNote(): string {
  return `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`;
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, where?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      if (e instanceof ComponentExited) throw e; // waiting longer cannot help
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last error: ${last})` : ''}; ${loadNote()}`
        + `${where ? `; logs: ${where}` : ''}. On a busy machine run \`npm run testbed -- up\` again (it repairs what did not start) or raise TESTBED_START_TIMEOUT (seconds)`);
    }
    await sleep(250);
  }
}

/** A client for a cluster through kwokctl's own admin kubeconfig (works before the bed's kubeconfig exists). */
function adminClient(context: string): Kube {
  const ctx = loadContexts(clusterKubeconfig(context))[0];
  if (!ctx) throw new Error(`no context in ${clusterKubeconfig(context)}`);
  return new Kube(ctx);
}

async function withClient<T>(kube: Kube, fn: (k: Kube) => Promise<T>): Promise<T> {
  try {
    return await fn(kube);
  } finally {
    kube.close();
  }
}

async function readyz(kube: Kube): Promise<boolean> {
  return (await kube.get<string>('/readyz', 3000).catch(() => '')) === 'ok';
}

async function adminHealthy(context: string): Promise<boolean> {
  if (!existsSync(clusterKubeconfig(context))) return false;
  return withClient(adminClient(context), readyz).catch(() => false);
}

/** What keeps a cluster from running: components missing or exited, or an API server not ready; undefined when it runs. */
async function clusterProblem(context: string): Promise<{ message: string; exited: boolean } | undefined> {
  const pids = clusterPids(context);
  if (pids.length !== COMPONENTS) return { message: `${pids.length} of ${COMPONENTS} components started`, exited: false };
  const exited = pids.filter((p) => !p.alive);
  if (exited.length) return { message: `${exited.map((p) => `${p.component} (pid ${p.pid})`).join(', ')} exited`, exited: true };
  if (!(await adminHealthy(context))) return { message: 'its API server is not ready (/readyz)', exited: false };
  return undefined;
}

/** Every component kwokctl started is still running, and the API server is ready. */
async function clusterRunning(context: string): Promise<boolean> {
  return (await clusterProblem(context)) === undefined;
}

/** Waits until the cluster runs; fails at once when one of its components exited (kwokctl restarts none). */
async function waitRunning(context: string): Promise<void> {
  await waitFor(`${context} to run`, startTimeoutMs(), async () => {
    const problem = await clusterProblem(context);
    if (problem?.exited) throw new ComponentExited(`${context}: ${problem.message}; logs: ${join(clusterDir(context), 'logs')}`);
    if (problem) throw new Error(problem.message);
    return true;
  }, join(clusterDir(context), 'logs'));
}

/**
 * Starts a cluster's components (kwokctl start) until it runs. On a loaded machine a component may exit
 * while the others start: kube-controller-manager and kube-scheduler exit when they cannot renew their
 * leader lease in time. Such a cluster is started once more; twice in a row is an error.
 */
async function startUntilRunning(context: string, bin: string, log: Log): Promise<void> {
  try {
    await waitRunning(context);
  } catch (e) {
    if (!(e instanceof ComponentExited)) throw e;
    log(`${e.message}: starting it again`);
    await restartCluster(context, bin);
    await waitRunning(context);
  }
}

/** Starts (or leaves alone, or repairs) one cluster; says what it did. */
async function ensureCluster(context: string, bin: string, log: Log): Promise<string> {
  let action = 'created';
  if (existsSync(clusterDir(context))) {
    if (await clusterRunning(context)) return 'already healthy';
    action = 'restarted';
    try {
      await restartCluster(context, bin);
      await startUntilRunning(context, bin, log);
      return action;
    } catch (e) {
      log(`${context}: ${(e as Error).message}; making it again`);
      action = 'recreated';
      await deleteCluster(context, bin).catch(() => {});
      rmSync(clusterDir(context), { recursive: true, force: true });
    }
  }
  await createCluster(context, bin);
  await startUntilRunning(context, bin, log);
  return action;
}

/**
 * The bed's one fake node. kwokctl's `scale node` would give it InternalIP 192.0.2.1 and podCIDR
 * 10.0.0.0/24, both off this machine; this node has the cluster's loopback pod CIDR, and kwok (run with
 * --node-ip=127.0.0.1) reports InternalIP 127.0.0.1. No taints: every pod may land on it.
 */
function nodeManifest(context: string): unknown {
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '1Ti' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        type: 'kwok',
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '',
      },
    },
    spec: { podCIDR: podCidr(context), podCIDRs: [podCidr(context)] },
    status: { capacity, allocatable: capacity },
  };
}

interface NodeObject {
  spec?: { podCIDR?: string };
  status?: {
    allocatable?: Record<string, string>;
    conditions?: { type: string; status: string }[];
    addresses?: { type: string; address: string }[];
  };
}

async function ensureNode(context: string): Promise<void> {
  await withClient(adminClient(context), async (kube) => {
    const path = `/api/v1/nodes/${NODE_NAME}`;
    let node = await kube.get<NodeObject>(path).catch((e) => {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    });
    const manifest = nodeManifest(context) as NodeObject;
    if (!node) node = await kube.request<NodeObject>('POST', '/api/v1/nodes', { body: manifest });
    if (!node.status?.allocatable?.pods) await kube.mergePatch(`${path}/status`, { status: manifest.status });
    await waitFor(`node ${NODE_NAME} in ${context} to be Ready`, startTimeoutMs(), async () => {
      const n = await kube.get<NodeObject>(path);
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    });
    // Pods are refused until the service-account controller has made the namespace's default account.
    await waitFor(`default service account in ${context}`, startTimeoutMs(), async () =>
      (await kube.get('/api/v1/namespaces/default/serviceaccounts/default').catch(() => undefined)) ? true : undefined,
    join(clusterDir(context), 'logs'));
  });
}

/** Writes .testbed/kubeconfig: contexts cp, dp1, ... (cp first and current), credentials embedded. */
function writeKubeconfig(contexts: string[]): void {
  const encode = (b: Buffer | undefined) => b?.toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': contexts[0],
    clusters: [] as unknown[],
    users: [] as unknown[],
    contexts: [] as unknown[],
  };
  for (const context of contexts) {
    const admin = loadContexts(clusterKubeconfig(context))[0]!;
    const clusterName = kwokClusterName(context);
    const userName = `${clusterName}-admin`;
    doc.clusters.push({ name: clusterName, cluster: { server: admin.server, 'certificate-authority-data': encode(admin.ca) } });
    doc.users.push({ name: userName, user: { 'client-certificate-data': encode(admin.cert), 'client-key-data': encode(admin.key) } });
    doc.contexts.push({ name: context, context: { cluster: clusterName, user: userName } });
  }
  mkdirSync(stateDir, { recursive: true });
  const tmp = `${kubeconfigPath}.tmp`;
  writeFileSync(tmp, stringify(doc), { mode: 0o600 });
  renameSync(tmp, kubeconfigPath); // atomic: the agent and tests never read half a file
}

/** Runs the machine's network-safety check on the bed; its output goes to the log. */
export async function safetyCheck(log: Log = stderrLog): Promise<{ exitCode: number; output: string }> {
  if (!existsSync(safetyCheckPath)) {
    log(`safety check not found at ${safetyCheckPath} (set TESTBED_SAFETY_CHECK): skipped`);
    return { exitCode: 0, output: 'skipped' };
  }
  const r = await execa(safetyCheckPath, [kubeconfigPath], { reject: false, all: true });
  for (const line of (r.all ?? '').split('\n').filter(Boolean)) log(`safety: ${line}`);
  return { exitCode: r.exitCode ?? 1, output: r.all ?? '' };
}

export interface UpOptions {
  clusters?: number;
  log?: Log;
}

export interface UpResult {
  contexts: string[];
  actions: Record<string, string>;
  timingsMs: Record<string, number>;
  kubeconfig: string;
}

/** Starts N clusters (default 3) and the podnet agent, idempotently; fails if the safety check fails. */
export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const count = opts.clusters ?? 3;
  const log = opts.log ?? stderrLog;
  if (!Number.isInteger(count) || count < 1 || count > MAX_CLUSTERS) throw new Error(`--clusters must be 1..${MAX_CLUSTERS}`);
  const timings: Record<string, number> = {};
  const actions: Record<string, string> = {};
  const started = performance.now();

  chooseSlot(log);
  const bin = await timed(timings, 'binaries', ensureBinaries);
  const wanted = Array.from({ length: count }, (_, i) => contextName(i));
  // One at a time: kwokctl picks free ports per cluster, and parallel creations could pick the same.
  for (const context of wanted) {
    actions[context] = await timed(timings, `cluster ${context}`, () => ensureCluster(context, bin, log));
    log(`${context}: ${actions[context]} (${timings[`cluster ${context}`]} ms)`);
  }
  await timed(timings, 'nodes', () => Promise.all(wanted.map(ensureNode)));
  // kubectl's discovery cache of the bed (KUBECACHEDIR, set by the tests) is keyed by host:port, and a
  // cluster made again gets the same ports: what was cached of the old one is stale.
  if (Object.values(actions).some((a) => a !== 'already healthy')) rmSync(kubeCacheDir, { recursive: true, force: true });

  // Clusters beyond N from an earlier `up` are kept, and stay in the kubeconfig while healthy.
  const extras = [];
  for (const context of existingContexts().filter((c) => !wanted.includes(c))) {
    if (await clusterRunning(context)) extras.push(context);
  }
  const contexts = [...wanted, ...extras].sort((a, b) => clusterIndex(a) - clusterIndex(b));
  writeKubeconfig(contexts);

  await timed(timings, 'podnet agent', async () => {
    const pid = agentPid();
    if (pid && !agentOutdated()) return log(`podnet agent running (pid ${pid})`);
    if (pid) await stopAgent(); // its code changed since it started
    log(`podnet agent ${pid ? 'restarted with the new code' : 'started'} (pid ${await startAgent()})`);
  });

  const safety = await timed(timings, 'safety check', () => safetyCheck(log));
  timings.total = Math.round(performance.now() - started);
  log(`timings (ms): ${Object.entries(timings).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (safety.exitCode !== 0) throw new Error(`the bed failed the network safety check (exit ${safety.exitCode}); run \`npm run testbed -- down\``);
  log(`ready: KUBECONFIG=${kubeconfigPath} (contexts ${contexts.join(', ')})`);
  return { contexts, actions, timingsMs: timings, kubeconfig: kubeconfigPath };
}

/** Stops everything the bed started (its kwokctl clusters and the podnet agent) and removes .testbed. */
export async function down(opts: { log?: Log } = {}): Promise<void> {
  const log = opts.log ?? stderrLog;
  await stopAgent();
  const bin = binDir();
  for (const context of existingContexts()) {
    const pids = clusterPids(context);
    if (haveBinaries(bin)) {
      await deleteCluster(context, bin).catch((e: Error) => log(`${context}: ${e.message}`));
    }
    // Whatever kwokctl could not stop: the PIDs it recorded for this cluster, and only those.
    for (const { component, pid } of pids) {
      if (isOurs(pid, clusterDir(context))) {
        log(`${context}: killing leftover ${component} (pid ${pid})`);
        process.kill(pid, 'SIGKILL');
      }
    }
    log(`${context}: deleted`);
  }
  releaseSlot();
  rmSync(stateDir, { recursive: true, force: true });
  log('down: nothing of the bed is left running');
}

export interface ClusterStatus {
  context: string;
  healthy: boolean;
  server?: string;
  version?: string;
  error?: string;
  node?: { name: string; ready: boolean; podCIDR?: string; internalIP?: string };
  podCidr: string;
  serviceCidr: string;
  processes: { component: string; pid: number; alive: boolean; rssBytes: number }[];
}

export interface BedStatus {
  healthy: boolean;
  kubeconfig: string;
  slot: number;
  clusters: ClusterStatus[];
  agent: { pid?: number; alive: boolean; rssBytes: number };
  cuts: Cut[];
  totalRssBytes: number;
}

async function clusterStatus(ctx: ReturnType<typeof loadContexts>[number]): Promise<ClusterStatus> {
  const processes = clusterPids(ctx.name).map(({ component, pid, alive }) => ({
    component,
    pid,
    alive,
    rssBytes: alive ? rssBytes(pid) : 0,
  }));
  const base = { context: ctx.name, server: ctx.server, podCidr: podCidr(ctx.name), serviceCidr: serviceCidr(ctx.name), processes };
  return withClient(new Kube(ctx), async (kube) => {
    try {
      if (!(await readyz(kube))) throw new Error('/readyz is not ok');
      const version = (await kube.get<{ gitVersion: string }>('/version', 3000)).gitVersion;
      const n = await kube.get<NodeObject>(`/api/v1/nodes/${NODE_NAME}`, 3000);
      const node = {
        name: NODE_NAME,
        ready: !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        podCIDR: n.spec?.podCIDR,
        internalIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
      };
      const problems = [
        ...(node.ready ? [] : [`node ${NODE_NAME} not Ready`]),
        ...(node.podCIDR === podCidr(ctx.name) ? [] : [`node podCIDR ${node.podCIDR} is not ${podCidr(ctx.name)}`]),
        ...(processes.length === COMPONENTS ? [] : [`${processes.length} of ${COMPONENTS} components recorded`]),
        ...processes.filter((p) => !p.alive).map((p) => `${p.component} (pid ${p.pid}) is not running`),
      ];
      return { ...base, healthy: problems.length === 0, version, node, ...(problems.length ? { error: problems.join('; ') } : {}) };
    } catch (e) {
      return { ...base, healthy: false, error: (e as Error).message };
    }
  });
}

/** Health of every cluster in the bed's kubeconfig, the agent, the cuts, and the bed's memory. */
export async function status(): Promise<BedStatus> {
  const pid = agentPid();
  const agent = { pid, alive: pid !== undefined, rssBytes: pid ? rssBytes(pid) : 0 };
  const contexts = existsSync(kubeconfigPath) ? loadContexts(kubeconfigPath) : [];
  const clusters = await Promise.all(contexts.map(clusterStatus));
  const totalRssBytes = agent.rssBytes + clusters.flatMap((c) => c.processes).reduce((s, p) => s + p.rssBytes, 0);
  return {
    healthy: clusters.length > 0 && clusters.every((c) => c.healthy) && agent.alive,
    kubeconfig: kubeconfigPath,
    slot: bedSlot(),
    clusters,
    agent,
    cuts: readCuts(),
    totalRssBytes,
  };
}

function bedContexts(): string[] {
  if (!existsSync(kubeconfigPath)) throw new Error(`no test bed (${kubeconfigPath} is missing): run \`npm run testbed -- up\``);
  return loadContexts(kubeconfigPath).map((c) => c.name);
}

function checkContext(context: string): void {
  const known = bedContexts();
  if (!known.includes(context)) throw new Error(`unknown context ${context}; the bed has ${known.join(', ')}`);
}

/** Drops all traffic between the pod networks of two clusters (enforced by the podnet agent). */
export function cut(a: string, b: string): Cut[] {
  checkContext(a);
  checkContext(b);
  return addCut(a, b);
}

/** Heals the cut between a and b, or every cut when called without a pair. */
export function heal(a?: string, b?: string): Cut[] {
  if ((a === undefined) !== (b === undefined)) throw new Error('heal takes two contexts, or none to heal every cut');
  return removeCuts(a !== undefined && b !== undefined ? [a, b] : undefined);
}
