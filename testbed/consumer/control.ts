// Starting and stopping the bed's control-plane consumer: one supervisor (run.ts) per bed, detached,
// its PID in .testbed/consumer/supervisor.pid, its events in .testbed/consumer/events.jsonl. Used by
// `npm run testbed -- consumer start|stop|events` and by the tests' helper (test/helpers/consumer.ts).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigPath, stateDir, testbedDir } from '../paths.js';
import { recordedPid, startDetached, stopRecorded } from '../processes.js';

export const DEFAULT_NAMESPACE = 'k8ssandra-operator';
export const consumerDir = join(stateDir, 'consumer');
export const eventsPath = join(consumerDir, 'events.jsonl');
export const consumerLogPath = join(consumerDir, 'output.log');
const pidPath = join(consumerDir, 'supervisor.pid');
export const supervisorScript = join(testbedDir, 'consumer', 'run.ts');
export const consumerScript = join(testbedDir, 'consumer', 'consumer.ts');

export interface ConsumerOptions {
  kubeconfig?: string;
  /** The control plane's context (default cp). */
  context?: string;
  namespace?: string;
  clusterScoped?: boolean;
  /** controller-runtime's CacheSyncTimeout (default 120 s). */
  cacheSyncTimeoutMs?: number;
  /** The kubelet's restart backoff: initial (default 10 s) and maximum (default 300 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Seconds as `120s`, `2m` or a bare number of seconds, in milliseconds. */
export function parseSeconds(value: string): number {
  const m = /^(\d+)(s|m)?$/.exec(value.trim());
  if (!m) throw new Error(`not a duration: ${value} (e.g. 30s, 2m)`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

/** The supervisor's arguments for these options (it passes the consumer's own on). */
export function supervisorArgs(o: ConsumerOptions): string[] {
  const s = (ms: number) => `${Math.round(ms / 1000)}s`;
  return ['--kubeconfig', o.kubeconfig ?? kubeconfigPath, '--context', o.context ?? 'cp', '--namespace', o.namespace ?? DEFAULT_NAMESPACE,
    '--events', eventsPath, ...(o.clusterScoped ? ['--cluster-scoped'] : []),
    ...(o.cacheSyncTimeoutMs === undefined ? [] : ['--cache-sync-timeout', s(o.cacheSyncTimeoutMs)]),
    ...(o.backoffMs === undefined ? [] : ['--backoff', s(o.backoffMs)]),
    ...(o.maxBackoffMs === undefined ? [] : ['--max-backoff', s(o.maxBackoffMs)])];
}

/** The supervisor's PID when the recorded process is alive and is still ours. */
export const supervisorPid = (): number | undefined => recordedPid(pidPath, supervisorScript);

/** Starts the supervisor (stopping one that runs), with a fresh events file. */
export async function startConsumer(o: ConsumerOptions = {}): Promise<{ pid: number; eventsPath: string }> {
  const kubeconfig = o.kubeconfig ?? kubeconfigPath;
  if (!existsSync(kubeconfig)) throw new Error(`no bed kubeconfig at ${kubeconfig}: run \`npm run testbed -- up\` first`);
  await stopConsumer();
  mkdirSync(consumerDir, { recursive: true });
  writeFileSync(eventsPath, '');
  const pid = await startDetached('consumer supervisor', supervisorScript, supervisorArgs(o), consumerLogPath, pidPath);
  return { pid, eventsPath };
}

/** Stops the supervisor (it stops its consumer first): TERM, then KILL after 10 s. Answers whether one ran. */
export const stopConsumer = (): Promise<boolean> => stopRecorded(pidPath, supervisorScript, 10_000);
