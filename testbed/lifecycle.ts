// The bed's lifecycle: `up` (binaries, clusters, nodes, kubeconfig, agent, safety check; idempotent) and
// `down` (everything it started, and its state).
import { rmSync } from 'node:fs';
import { binDir, ensureBinaries, haveBinaries } from './binaries.js';
import { ensureCluster } from './clusters.js';
import { clusterRunning } from './health.js';
import { writeKubeconfig } from './kubeconfig.js';
import { clusterDir, clusterPids, deleteCluster, existingContexts } from './kwokctl.js';
import { type Log, stderrLog } from './log.js';
import { ensureNode } from './nodes.js';
import { kubeCacheDir, kubeconfigPath, stateDir } from './paths.js';
import { agentOutdated, agentPid, isOurs, startAgent, stopAgent } from './processes.js';
import { safetyCheck } from './safety.js';
import { bedSettings, type BedSettings, describeSettings, resolveSettings, writeSettings } from './settings.js';
import { chooseSlot, releaseSlot } from './slots.js';
import { clusterIndex, contextName, MAX_CLUSTERS } from './topology.js';

async function timed<T>(timings: Record<string, number>, label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = Math.round(performance.now() - start);
  }
}

export interface UpOptions {
  clusters?: number;
  /** Kubernetes version of a new bed (default DEFAULT_K8S_VERSION); an existing bed keeps its own. */
  k8sVersion?: string;
  /** kube-apiserver --service-account-max-token-expiration of a new bed; an existing bed keeps its own. */
  maxTokenTtl?: string;
  log?: Log;
}

export interface UpResult {
  contexts: string[];
  actions: Record<string, string>;
  settings: BedSettings;
  timingsMs: Record<string, number>;
  kubeconfig: string;
}

/** Starts N clusters (default 3) and the podnet agent, idempotently; fails if the safety check fails. */
export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const count = opts.clusters ?? 3;
  const log = opts.log ?? stderrLog;
  if (!Number.isInteger(count) || count < 1 || count > MAX_CLUSTERS) throw new Error(`--clusters must be 1..${MAX_CLUSTERS}`);
  // A bed from before settings were recorded was made with the defaults.
  const recorded = existingContexts().length > 0 ? bedSettings() : undefined;
  const settings = resolveSettings({ k8sVersion: opts.k8sVersion, maxTokenTtl: opts.maxTokenTtl }, recorded);
  const timings: Record<string, number> = {};
  const actions: Record<string, string> = {};
  const started = performance.now();

  chooseSlot(log);
  const bin = await timed(timings, 'binaries', () => ensureBinaries(settings.k8sVersion));
  writeSettings(settings); // before the clusters: a repair or a recreation later makes them the same way
  log(`settings: ${describeSettings(settings)}`);
  const wanted = Array.from({ length: count }, (_, i) => contextName(i));
  // One at a time: kwokctl picks free ports per cluster, and parallel creations could pick the same.
  for (const context of wanted) {
    actions[context] = await timed(timings, `cluster ${context}`, () => ensureCluster(context, bin, settings, log));
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
  log(`ready: KUBECONFIG=${kubeconfigPath} (contexts ${contexts.join(', ')}; ${describeSettings(settings)})`);
  return { contexts, actions, settings, timingsMs: timings, kubeconfig: kubeconfigPath };
}

/** Stops everything the bed started (its kwokctl clusters and the podnet agent) and removes .testbed. */
export async function down(opts: { log?: Log } = {}): Promise<void> {
  const log = opts.log ?? stderrLog;
  await stopAgent();
  const bin = binDir(); // the version the bed was made with
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
