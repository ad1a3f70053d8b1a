// The run lock: one coordination.k8s.io/v1 Lease per cluster a command changes, in the operator's
// namespace, naming who holds it. Pure knowledge here (the object, who holds it, when it has expired);
// the reads and writes are in kube/lock.ts.
import type { KubeObject } from '../model/object.js';
import type { LockReport } from '../report/model.js';

export const LOCK_NAME = 'k8ssandra-cli-lock';
/** Who holds the lock, as JSON (user, host, pid, command, start): holderIdentity alone is one opaque string. */
export const HOLDER_ANNOTATION = 'k8ssandra.io/lock-holder';
/**
 * A lock not renewed for this long is free: a run killed with SIGKILL blocks the next one for at most
 * this. The holder renews every RENEW_MS, so it loses the lock only when it stalls for longer than
 * LEASE_SECONDS (a suspended laptop, a frozen API server), and it then stops.
 */
export const LEASE_SECONDS = 15;
export const RENEW_MS = 5_000;

export interface Holder {
  /** Unique per run: user@host/pid/random. */
  id: string;
  user: string;
  host: string;
  pid: number;
  command: string;
  /** ISO time the run started. */
  startedAt: string;
}

export interface Lease extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

/** "alice@ci-42 (install, pid 4242, started 14:02:11)" */
export function describeHolder(h: Pick<Holder, 'user' | 'host' | 'command' | 'pid' | 'startedAt'>): string {
  const started = new Date(h.startedAt);
  const at = Number.isNaN(started.getTime()) ? h.startedAt : started.toISOString().replace(/^.*T(\d\d:\d\d:\d\d).*$/, '$1') + ' UTC';
  return `${h.user}@${h.host} (${h.command}, pid ${h.pid}, started ${at})`;
}

/** The holder a Lease names; undefined when nobody holds it (released, or never taken). */
export function holderOf(lease: Lease | null | undefined): Holder | undefined {
  const id = lease?.spec?.holderIdentity;
  if (!id) return undefined;
  try {
    const h = JSON.parse(lease.metadata.annotations?.[HOLDER_ANNOTATION] ?? '') as Holder;
    if (h && h.id === id) return h;
  } catch { /* a holder of another tool, or an annotation edited by hand: named by its identity */ }
  return { id, user: id, host: '?', pid: 0, command: 'unknown', startedAt: lease.spec?.acquireTime ?? '?' };
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

/** The Lease that says `holder` holds the lock now (for a create, or an update that carries the read resourceVersion). */
export function leaseFor(namespace: string, holder: Holder, now: number, current?: Lease | null): Lease {
  const same = current?.spec?.holderIdentity === holder.id;
  return {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: {
      name: LOCK_NAME, namespace,
      ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'k8ssandra-cli' },
      annotations: { [HOLDER_ANNOTATION]: JSON.stringify(holder) },
    },
    spec: {
      holderIdentity: holder.id, leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: same && current?.spec?.acquireTime ? current.spec.acquireTime : microTime(now), renewTime: microTime(now),
    },
  };
}

export type LockState =
  | { state: 'free' }
  | { state: 'mine' }
  | { state: 'held'; holder: Holder }
  | { state: 'expired'; holder: Holder; silentForMs: number };

/**
 * Whether a Lease can be taken. As client-go's leader election does, expiry is judged by this
 * machine's clock from when the Lease was last seen to change (`unchangedSince`), never by the
 * renewTime the holder wrote: a clock skew between machines must not make a live holder look dead.
 */
export function lockState(lease: Lease | null | undefined, me: string, now: number, unchangedSince: number): LockState {
  const holder = holderOf(lease);
  if (!holder) return { state: 'free' };
  if (holder.id === me) return { state: 'mine' };
  const durationMs = (lease!.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000;
  const silentFor = now - unchangedSince;
  return silentFor >= durationMs ? { state: 'expired', holder, silentForMs: silentFor } : { state: 'held', holder };
}

/** A held lock as status reports it; undefined when nobody holds it. */
export function lockReport(lease: Lease, now: number): LockReport | undefined {
  const holder = holderOf(lease);
  if (!holder) return undefined;
  const renewedAt = lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '';
  const renewed = Date.parse(renewedAt);
  const expired = !Number.isNaN(renewed) && now - renewed > (lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000;
  return { namespace: lease.metadata.namespace ?? '', holder: describeHolder(holder), command: holder.command, user: holder.user, host: holder.host,
    pid: holder.pid, since: lease.spec?.acquireTime ?? holder.startedAt, renewedAt, expired };
}
