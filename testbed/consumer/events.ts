// What the bed's control-plane consumer and its supervisor saw, as JSON lines in one file: tests read
// it instead of the processes' output. Both processes append whole lines (O_APPEND), so they never mix.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** Why a consumer process ended: upstream exits 0 on a change (to reload) and 1 on a broken registration. */
export type ExitReason =
  | 'changed' // a ClientConfig or its Secret was added, changed or deleted: exit 0, the pod restarts
  | 'broken' // a registration the operator cannot use: exit 1, the pod crash-loops
  | 'signal' // stopped by the supervisor
  | 'replaced'; // following the control plane: its cluster's operator no longer runs as control plane (a rollout replaced the pod)

/** Why a registration is broken (exit 1). */
export type Breakage =
  | 'missing-secret' // the ClientConfig's Secret, or its key `kubeconfig`, is missing
  | 'bad-kubeconfig' // unreadable, no context of that name, no server, a credential plugin
  | 'rejected' // the data plane's API server refused the credentials (401)
  | 'forbidden' // authenticated, but not allowed to list or watch a kind (403)
  | 'unreachable' // nothing answered at the server address
  | 'not-served' // a kind the operator watches is not served there (no CRD)
  | 'not-loopback' // the server is off loopback: the bed's consumer never dials it
  | 'error'; // anything else (a conflict writing the hash annotations, ...)

export type ConsumerEvent = { time: string; source: 'consumer' | 'supervisor'; pid: number; run?: number } & (
  | { event: 'start'; namespace: string; clusterScoped: boolean; cacheSyncTimeoutMs: number; context?: string }
  | { event: 'waiting'; message: string }
  | { event: 'clientconfigs'; items: { name: string; namespace: string; context: string; secret: string; server: string }[] }
  | { event: 'kind-not-served'; context: string; kind: string; message: string }
  | { event: 'watch-error'; context: string; kind: string; breakage: Breakage; message: string }
  | {
      event: 'synced'; context: string; clientConfig: string; scope: string; kinds: string[]; objects: Record<string, number>;
      /** From a SelfSubjectReview with the stored credentials: who they are, never the token. */
      username: string; serviceAccount?: string; credentialId?: string; secretHash: string; ms: number;
    }
  | { event: 'exit'; code: number; reason: ExitReason; breakage?: Breakage; context?: string; message: string }
  // The supervisor's own lines: what a kubelet would show as restartCount and CrashLoopBackOff.
  | { event: 'supervisor-start'; args: string[]; backoffMs: number; maxBackoffMs: number }
  | { event: 'started'; run: number }
  | { event: 'exited'; run: number; code: number | null; signal: string | null; uptimeMs: number }
  | { event: 'restarting'; restarts: number; delayMs: number }
  | { event: 'supervisor-stop'; restarts: number; why: string }
);

/** The event without what every line gets (time, source, pid; run defaults to the log's). */
type Payload = ConsumerEvent extends infer E ? (E extends ConsumerEvent ? Omit<E, 'time' | 'source' | 'pid'> : never) : never;

export class EventLog {
  constructor(
    readonly path: string,
    private readonly source: ConsumerEvent['source'],
    private readonly run?: number,
  ) {}

  write(e: Payload): void {
    const line: ConsumerEvent = { time: new Date().toISOString(), source: this.source, pid: process.pid, run: this.run, ...e } as ConsumerEvent;
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}

/** Every whole line of an events file (none when it does not exist yet). */
export function readEvents(path: string): ConsumerEvent[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l) as ConsumerEvent];
    } catch {
      return []; // a line being written right now
    }
  });
}
