// Drives kwokctl's binary runtime: one kwokctl cluster per bed context, all under the bed's own
// KWOK_WORKDIR. kwokctl starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the kwok
// controller as detached processes and records their PIDs in clusters/<name>/pids/.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { kwokctlKubeconfigPath, kwokWorkdir } from './paths.js';
import { isOurs } from './processes.js';
import type { BedSettings } from './settings.js';
import { clusterPorts, contextOfKwokCluster, kwokClusterName, podCidr, serviceCidr } from './topology.js';

/**
 * How long a cluster may take to start (kwokctl's --wait, then the bed's own wait for its components
 * and /readyz). ~3 s on a quiet machine; up to a minute and more on 2 cores loaded by other beds and
 * their tests. TESTBED_START_TIMEOUT (seconds) overrides it.
 */
export function startTimeoutMs(): number {
  const s = Number(process.env.TESTBED_START_TIMEOUT ?? 300);
  if (!Number.isFinite(s) || s <= 0) throw new Error(`TESTBED_START_TIMEOUT must be a number of seconds, not ${process.env.TESTBED_START_TIMEOUT}`);
  return s * 1000;
}

/**
 * The admission plugins that call webhooks. The operators' webhooks (failurePolicy: Fail) are served by
 * pods that never run in the bed, so every create/update of their resources would fail. The bed turns
 * the plugins off in its own API servers; the product never touches webhooks on a user's cluster.
 */
export const DISABLED_ADMISSION_PLUGINS = 'ValidatingAdmissionWebhook,MutatingAdmissionWebhook';

export function clusterDir(context: string): string {
  return join(kwokWorkdir, 'clusters', kwokClusterName(context));
}

/** kwokctl's own admin kubeconfig of a cluster (client-cert admin in system:masters). */
export function clusterKubeconfig(context: string): string {
  return join(clusterDir(context), 'kubeconfig.yaml');
}

/** Contexts of the bed clusters that exist in the workdir, whether running or not. */
export function existingContexts(): string[] {
  const dir = join(kwokWorkdir, 'clusters');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => contextOfKwokCluster(name))
    .filter((c): c is string => c !== undefined);
}

export interface ComponentPid {
  component: string;
  pid: number;
  /** Alive and still this cluster's process (its binary lives in the cluster's folder). */
  alive: boolean;
  file: string;
}

/** PIDs kwokctl recorded for a cluster's components. */
export function clusterPids(context: string): ComponentPid[] {
  const dir = join(clusterDir(context), 'pids');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => {
      const pid = Number(readFileSync(join(dir, f), 'utf8').trim());
      return { component: f.slice(0, -4), pid, alive: isOurs(pid, clusterDir(context)), file: join(dir, f) };
    });
}

/**
 * Forgets PID files of processes that are gone: kwokctl stop/delete would otherwise signal whatever
 * process has since been given that PID.
 */
export function pruneStalePids(context: string): void {
  for (const p of clusterPids(context)) if (!p.alive) rmSync(p.file, { force: true });
}

/**
 * kwokctl's configuration for one cluster. Its defaults are unsafe on this machine (ClusterIPs in
 * 10.0.0.0/24, listeners on 0.0.0.0, pod IPs from 10.0.0.0/24): every address here is on loopback.
 * Every port is given (topology.ts's plan): kwokctl would otherwise take the first free ones below 32767,
 * and two beds created at the same moment would take the same ones.
 * A config file rather than --extra-args flags: several --extra-args in one call once panicked kwokctl.
 * kubeVersion tells kwokctl which flags the binaries understand: it follows the bed's --k8s-version.
 */
export function renderConfig(context: string, binDir: string, settings: BedSettings): string {
  const config = {
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: {
      runtime: 'binary',
      kubeVersion: settings.k8sVersion,
      bindAddress: '127.0.0.1',
      ...clusterPorts(context),
      quietPull: true,
      // Local binaries only: kwokctl's defaults are download URLs, which must never be fetched here.
      etcdBinary: join(binDir, 'etcd'),
      kubeApiserverBinary: join(binDir, 'kube-apiserver'),
      kubeControllerManagerBinary: join(binDir, 'kube-controller-manager'),
      kubeSchedulerBinary: join(binDir, 'kube-scheduler'),
      kwokControllerBinary: join(binDir, 'kwok'),
    },
    componentsPatches: [
      {
        name: 'kube-apiserver',
        extraArgs: [
          { key: 'service-cluster-ip-range', value: serviceCidr(context) },
          { key: 'disable-admission-plugins', value: DISABLED_ADMISSION_PLUGINS },
          ...tokenCapArgs(settings),
        ],
      },
      // etcd without fsync: a bed's data is thrown away anyway, and each fsync stalls writes behind the
      // disk when ten clusters (or several beds) write at once. Leader election stays on: without it
      // kube-controller-manager gives the API server only 10 s to become healthy and exits (seen with
      // ten clusters on a loaded machine); with it, it waits for its lease as long as it takes.
      { name: 'etcd', extraArgs: [{ key: 'unsafe-no-fsync', value: 'true' }] },
      {
        name: 'kwok-controller',
        extraArgs: [
          // The node's InternalIP, which kube-apiserver dials for logs/exec/port-forward (kwok serves them).
          { key: 'node-ip', value: '127.0.0.1', override: true },
          // Pod IPs for nodes without spec.podCIDR (the bed's node has one; this is the safety net).
          { key: 'cidr', value: podCidr(context) },
        ],
      },
    ],
  };
  return stringify(config);
}

/**
 * --max-token-ttl: every TokenRequest asking for more gets this lifetime, as on EKS (24h) and GKE (48h);
 * see design/field-conditions.md. --service-account-extend-token-expiration keeps its default (true), as
 * there: it lengthens only the tokens admission mounts into pods (those asking exactly 3607 s), never a
 * TokenRequest's, so `kubectl create token --duration 8760h` still gets the cap.
 */
function tokenCapArgs(settings: BedSettings): { key: string; value: string }[] {
  return settings.maxTokenTtl ? [{ key: 'service-account-max-token-expiration', value: settings.maxTokenTtl }] : [];
}

/** Runs kwokctl with the bed's workdir and no KWOK_* settings inherited from the user's environment. */
export async function kwokctl(binDir: string, args: string[]): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('KWOK_')));
  env.KWOK_WORKDIR = kwokWorkdir;
  mkdirSync(kwokWorkdir, { recursive: true });
  const { stdout } = await execa(join(binDir, 'kwokctl'), args, { env, extendEnv: false, all: true }).catch(
    (e: { all?: string; shortMessage?: string }) => {
      throw new Error(`kwokctl ${args.join(' ')} failed:\n${e.all ?? e.shortMessage}`);
    },
  );
  return stdout;
}

/** Whether something already listens on 127.0.0.1:port (or the port cannot be bound there). */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Fails with one line naming the ports of the plan that another program holds. */
export async function checkPortsFree(context: string): Promise<void> {
  const ports = Object.entries(clusterPorts(context));
  const taken = [];
  for (const [name, port] of ports) if (await portTaken(port)) taken.push({ name, port });
  if (taken.length) {
    throw new Error(`cannot create ${context}: another program listens on 127.0.0.1 port ${taken.map((t) => `${t.port} (${t.name})`).join(', ')}; `
      + `\`ss -ltnp 'sport = :${taken[0]!.port}'\` shows which; or run this bed in another slot (TESTBED_SLOT=n, see testbed/README.md)`);
  }
}

export async function createCluster(context: string, binDir: string, settings: BedSettings): Promise<void> {
  await checkPortsFree(context);
  const configPath = join(kwokWorkdir, `${kwokClusterName(context)}.config.yaml`);
  mkdirSync(kwokWorkdir, { recursive: true });
  writeFileSync(configPath, renderConfig(context, binDir, settings));
  await kwokctl(binDir, [
    '--config', configPath,
    'create', 'cluster',
    '--name', kwokClusterName(context),
    '--kubeconfig', kwokctlKubeconfigPath,
    '--wait', `${Math.round(startTimeoutMs() / 1000)}s`,
  ]);
}

/** Restarts every component of an existing cluster (`start` alone skips components it thinks run). */
export async function restartCluster(context: string, binDir: string): Promise<void> {
  pruneStalePids(context);
  await kwokctl(binDir, ['stop', 'cluster', '--name', kwokClusterName(context)]);
  await kwokctl(binDir, ['start', 'cluster', '--name', kwokClusterName(context)]);
}

export async function deleteCluster(context: string, binDir: string): Promise<void> {
  pruneStalePids(context);
  await kwokctl(binDir, ['delete', 'cluster', '--name', kwokClusterName(context), '--kubeconfig', kwokctlKubeconfigPath]);
}
