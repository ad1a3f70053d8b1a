// The bed's pod network agent: a long-running process (started detached by `testbed up`) that plays the
// probe pods of every cluster in the bed with real sockets on their loopback pod IPs, so that the CLI's
// routability check sees real connections succeed, fail and time out. See src/routability/contract.ts.
//
// It polls each cluster's probe pods (a label-selected list every POLL_MS: level-triggered, so a restart
// or a missed event loses nothing), listens for listener pods and runs connector pods once, writing their
// result into the pod status as the real probe image would. Cuts (cuts.json) are enforced here.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCuts, isCut } from './cuts.js';
import { Kube, KubeError, loadContexts } from './kube.js';
import { kubeconfigPath } from './paths.js';
import {
  DEFAULT_TIMEOUT_MS,
  ENV_API_SERVERS,
  ENV_TARGETS,
  ENV_TIMEOUT_MS,
  PROBE_CONNECTOR,
  PROBE_LABEL,
  PROBE_LISTENER,
} from '../src/routability/contract.js';
import { parseApiServers, parseTargets, probe, probeApiServer, reportMessage } from './probes.js';
import { contextOfPodIp } from './topology.js';

const POLL_MS = 200;

interface Pod {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: {
    containers: { name: string; image: string; env?: { name: string; value?: string }[]; ports?: { containerPort: number; protocol?: string }[] }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    startTime?: string;
    conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
  };
}

function log(...parts: unknown[]): void {
  console.log(new Date().toISOString(), ...parts);
}

/** Maps an address to the bed cluster it belongs to: pod IPs by CIDR, API servers by host:port. */
let apiServers = new Map<string, string>();
function contextOfAddress(ip: string, port?: number): string | undefined {
  return contextOfPodIp(ip) ?? (port === undefined ? undefined : apiServers.get(`${ip}:${port}`));
}

/** Sockets of one listener pod: accept and close, or reset when the peer's cluster is cut off. */
class Listener {
  private readonly servers = new Map<number, Server>();

  constructor(
    private readonly context: string,
    private readonly ip: string,
    private readonly label: string,
  ) {}

  /** Opens the ports not open yet; a failed bind is retried on the next poll. */
  ensure(ports: number[]): void {
    for (const port of ports) {
      if (this.servers.has(port)) continue;
      const server = createServer((socket) => this.accept(socket));
      this.servers.set(port, server);
      server.once('error', (e: NodeJS.ErrnoException) => {
        log(`listener ${this.label} ${this.ip}:${port}: ${e.code ?? e.message}`);
        this.servers.delete(port);
        server.close();
      });
      server.listen({ host: this.ip, port }, () => log(`listener ${this.label} on ${this.ip}:${port}`));
    }
  }

  private accept(socket: Socket): void {
    const peer = socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    if (isCut(readCuts(), this.context, contextOfPodIp(peer))) {
      log(`listener ${this.label}: reset ${peer} (cut ${this.context}/${contextOfPodIp(peer)})`);
      socket.resetAndDestroy();
    } else socket.end();
    socket.on('error', () => {}); // the peer may reset first
  }

  close(): void {
    for (const server of this.servers.values()) server.close();
    if (this.servers.size) log(`listener ${this.label} closed`);
    this.servers.clear();
  }
}

function isLive(pod: Pod): pod is Pod & { status: { podIP: string } } {
  return pod.status?.phase === 'Running' && !!pod.status.podIP && !pod.metadata.deletionTimestamp;
}

/** The status the real probe image leaves behind: Succeeded, first container terminated with the report. */
function completedStatus(pod: Pod, message: string): unknown {
  const now = new Date().toISOString();
  const started = pod.status?.startTime ?? now;
  const notReady = (type: string) => ({ type, status: 'False', reason: 'PodCompleted', lastTransitionTime: now });
  const conditions = (pod.status?.conditions ?? [])
    .filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady')
    .concat(notReady('Ready'), notReady('ContainersReady'));
  return {
    status: {
      phase: 'Succeeded',
      conditions,
      containerStatuses: pod.spec.containers.map((c, i) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: started,
            finishedAt: now,
            ...(i === 0 ? { message } : {}),
          },
        },
      })),
    },
  };
}

/** The probe pods of one cluster. */
class ClusterAgent {
  private readonly listeners = new Map<string, Listener>();
  private readonly handled = new Set<string>(); // connector pods started (uid), kept while the pod exists
  private lastError = '';

  constructor(
    readonly context: string,
    private readonly kube: Kube,
  ) {}

  async sync(): Promise<void> {
    let pods: Pod[];
    try {
      const list = await this.kube.get<{ items: Pod[] }>(`/api/v1/pods?labelSelector=${encodeURIComponent(PROBE_LABEL)}`, 5000);
      pods = list.items;
      if (this.lastError) log(`${this.context}: reachable again`);
      this.lastError = '';
    } catch (e) {
      const message = (e as Error).message;
      if (message !== this.lastError) log(`${this.context}: cannot list pods: ${message}`);
      this.lastError = message;
      return; // keep what runs: a cluster that blips does not lose its listeners
    }
    const seen = new Set(pods.map((p) => p.metadata.uid));
    for (const pod of pods) {
      const role = pod.metadata.labels?.[PROBE_LABEL];
      if (role === PROBE_LISTENER) this.syncListener(pod);
      else if (role === PROBE_CONNECTOR && isLive(pod) && !this.handled.has(pod.metadata.uid)) {
        this.handled.add(pod.metadata.uid);
        void this.runConnector(pod);
      }
    }
    for (const [uid, listener] of this.listeners) if (!seen.has(uid)) this.dropListener(uid, listener);
    for (const uid of this.handled) if (!seen.has(uid)) this.handled.delete(uid);
  }

  private syncListener(pod: Pod): void {
    const uid = pod.metadata.uid;
    const existing = this.listeners.get(uid);
    if (!isLive(pod)) {
      if (existing) this.dropListener(uid, existing);
      return;
    }
    const ports = pod.spec.containers.flatMap((c) => c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.containerPort);
    const listener = existing ?? new Listener(this.context, pod.status.podIP, `${this.context}/${pod.metadata.namespace}/${pod.metadata.name}`);
    this.listeners.set(uid, listener);
    listener.ensure(ports);
  }

  private dropListener(uid: string, listener: Listener): void {
    listener.close();
    this.listeners.delete(uid);
  }

  private async runConnector(pod: Pod & { status: { podIP: string } }): Promise<void> {
    const { name, namespace, uid } = pod.metadata;
    const env = new Map((pod.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    const timeoutMs = Number(env.get(ENV_TIMEOUT_MS)) || DEFAULT_TIMEOUT_MS;
    const source = pod.status.podIP;
    const cuts = readCuts();
    // A cut between two clusters drops pod traffic both ways and, from A's pods, B's API server too.
    const cutFrom = (host: string, port: number) => isCut(cuts, this.context, contextOfAddress(host, port));
    const results = await Promise.all([
      ...parseTargets(env.get(ENV_TARGETS)).map((t) =>
        'invalid' in t ? { target: t.raw, ok: false, ms: 0, error: 'invalid' } : probe(t, source, timeoutMs, cutFrom(t.host, t.port)),
      ),
      ...parseApiServers(env.get(ENV_API_SERVERS)).map((t) =>
        'invalid' in t ? { target: t.raw, ok: false, ms: 0, error: 'invalid' } : probeApiServer(t, source, timeoutMs, cutFrom(t.host, t.port)),
      ),
    ]);
    const message = reportMessage(results);
    log(`connector ${this.context}/${namespace}/${name} from ${source}: ${message}`);
    try {
      await this.kube.mergePatch(`/api/v1/namespaces/${namespace}/pods/${name}/status`, completedStatus(pod, message));
    } catch (e) {
      log(`connector ${this.context}/${namespace}/${name}: cannot write status: ${(e as Error).message}`);
      if (!(e instanceof KubeError && e.status === 404)) this.handled.delete(uid); // retry on the next poll
    }
  }

  close(): void {
    for (const [uid, listener] of this.listeners) this.dropListener(uid, listener);
    this.kube.close();
  }
}

/** The agents for the contexts in the bed's kubeconfig; rebuilt when `up` rewrites it. */
function loadAgents(): ClusterAgent[] {
  const contexts = loadContexts(kubeconfigPath);
  apiServers = new Map(contexts.map((c) => [new URL(c.server).host, c.name]));
  log(`watching contexts ${contexts.map((c) => c.name).join(', ')}`);
  return contexts.map((c) => new ClusterAgent(c.name, new Kube(c)));
}

async function main(): Promise<void> {
  let agents: ClusterAgent[] = [];
  let loaded = '';
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  log(`podnet agent ${process.pid} started`);
  while (!stopping) {
    try {
      // `up` rewrites the kubeconfig; rebuild only when its content changed (new clusters, new ports).
      const text = readFileSync(kubeconfigPath, 'utf8');
      if (text !== loaded) {
        for (const a of agents) a.close();
        agents = loadAgents();
        loaded = text;
      }
      await Promise.all(agents.map((a) => a.sync()));
    } catch (e) {
      log(`error: ${(e as Error).message}`);
    }
    await sleep(POLL_MS);
  }
  for (const a of agents) a.close();
  log('podnet agent stopped');
}

await main();
