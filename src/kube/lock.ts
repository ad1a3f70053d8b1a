// The run lock's reads and writes: take a Lease in every cluster a command changes, renew it while the
// run lives, give it back at the end; and delete a namespace the lock had to create, when the rule of
// plan/namespace-deletion.ts allows it. See docs/guarantees.md "Two runs at once".
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, describe } from '../errors.js';
import { describeHolder, LOCK_NAME, leaseFor, lockState, RENEW_MS, type Holder, type Lease } from '../plan/lock.js';
import { ApiError, type KubeClient } from './client.js';
import type { Cluster } from './connect.js';
import { getObject } from './resources.js';
import { createRunNamespace, deleteRunNamespace } from './run-namespace.js';

const LEASES = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`;
const POLL_MS = 1000;
/** Giving the lock back (and deleting a namespace it created) runs after Ctrl-C and past --timeout too, bounded by this. */
const RELEASE_MS = 15_000;

/** This run, as other runs and `status` see it. */
export function currentHolder(command: string, env: NodeJS.ProcessEnv = process.env): Holder {
  let user = env.USER ?? env.USERNAME ?? '';
  try { user ||= userInfo().username; } catch { user ||= 'unknown'; }
  const host = hostname();
  return { id: `${user}@${host}/${process.pid}/${randomBytes(4).toString('hex')}`, user, host, pid: process.pid, command, startedAt: new Date().toISOString() };
}

/** The lock of one cluster, read for `status`: who holds it, or undefined. Never waits. */
export async function readLock(client: KubeClient, namespace: string): Promise<Lease | null> {
  return getObject<Lease>(client, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name: LOCK_NAME });
}

export interface LockOptions {
  namespace: string;
  holder: Holder;
  /** The command's deadline: waiting for another run's lock counts against --timeout. */
  deadline: number;
  signal?: AbortSignal;
  /** A line for the user (waiting for whom; a lock taken over from a run that is gone). */
  note: (line: string) => void;
  /** Called when another run has taken a lock this run holds: the run must stop. */
  onLost: (e: CliError) => void;
}

interface ClusterLock { cluster: Cluster; lease: Lease; namespaceCreated: boolean; namespaceUid?: string }

export interface HeldLock {
  readonly holder: Holder;
  /** Another run held a lock first: what this run read before may have changed. */
  readonly waited: boolean;
  /**
   * Gives every lock back. `keepNamespaces`: the run wrote into the namespace, which is now part of an
   * install; otherwise a namespace the lock created is deleted when it holds nothing but this run's.
   */
  release(o: { keepNamespaces: boolean; note: (line: string) => void }): Promise<void>;
}

/**
 * Takes the lock in every cluster, one after another in the same order for every run (by the cluster's
 * kube-system UID, which does not depend on context names), so that two runs over overlapping clusters
 * never wait for each other in a circle. A lock held by a live run is waited for within the deadline;
 * one not renewed for its lease duration is taken over, with a line that says from whom.
 */
export async function lockClusters(clusters: Cluster[], o: LockOptions): Promise<HeldLock> {
  const ordered = await orderedByIdentity(clusters);
  const held: ClusterLock[] = [];
  let waited = false;
  const lock: HeldLock = {
    holder: o.holder,
    get waited() { return waited; },
    release: (r) => release(held, o, r, stopRenewing),
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const stopRenewing = () => { stopped = true; clearTimeout(timer); };
  const renewAll = async () => {
    await Promise.all(held.map((h) => renew(h, o).catch((e) => {
      // A renewal still in flight when the run gave its locks back finds them gone: that is no loss.
      if (e instanceof CliError && !stopped) { stopRenewing(); o.onLost(e); }
      // Anything else (the API server unreachable): tried again at the next round; a run that cannot reach a
      // cluster cannot write there either, and another run can take the lock only once it has expired.
    })));
    if (!stopped) timer = setTimeout(() => void renewAll(), RENEW_MS).unref();
  };
  // Every lock looked at once before the first wait: a dead run's locks, unchanged from now on, then expire
  // together rather than one lease duration after another.
  const seenAt = Date.now();
  const first = await Promise.all(ordered.map((c) => readLock(c.client, o.namespace).then((l) => l?.metadata.resourceVersion, () => undefined)));
  try {
    for (const [i, cluster] of ordered.entries()) {
      held.push(await take(cluster, o, { rv: first[i], at: seenAt }, () => { waited = true; }));
      if (held.length === 1) timer = setTimeout(() => void renewAll(), RENEW_MS).unref();
    }
  } catch (e) {
    await lock.release({ keepNamespaces: false, note: o.note });
    throw e;
  }
  return lock;
}

async function orderedByIdentity(clusters: Cluster[]): Promise<Cluster[]> {
  // A user who may not read kube-system (rare: preflight asks for it) orders that cluster by its address.
  const ids = await Promise.all(clusters.map(async (c) => (await getObject(c.client, { apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' }).catch(() => null))?.metadata.uid ?? c.ctx.server));
  return clusters.map((c, i) => ({ c, id: ids[i]! })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.c);
}

const isStatus = (e: unknown, status: number) => e instanceof ApiError && e.status === status;
/** A namespace being deleted refuses new objects with 403 and this message. */
const terminating = (e: unknown) => e instanceof ApiError && e.status === 403 && /being terminated/.test(e.message);

/** Takes one cluster's lock, waiting while a live run holds it (or while its namespace is being deleted). */
async function take(cluster: Cluster, o: LockOptions, firstSeen: { rv?: string; at: number }, waiting: () => void): Promise<ClusterLock> {
  const { client } = cluster;
  const context = cluster.ctx.name;
  let namespaceCreated = false;
  let namespaceUid: string | undefined;
  let seen = firstSeen;
  let announced: string | undefined;
  let waitingFor = `the deletion of namespace ${o.namespace}`;
  const say = (key: string, line: string) => { waiting(); if (announced !== key) { announced = key; o.note(line); } };
  for (;;) {
    o.signal?.throwIfAborted();
    const ns = await getObject(client, { apiVersion: 'v1', kind: 'Namespace', name: o.namespace });
    if (ns?.status?.phase === 'Terminating') {
      waitingFor = `the deletion of namespace ${o.namespace}`;
      say('terminating', `${context}: namespace ${o.namespace} is being deleted; waiting until it is gone`);
    } else {
      try {
        if (!ns) {
          namespaceUid = await createRunNamespace(client, o.namespace);
          namespaceCreated = namespaceUid !== undefined;
        }
        const lease = await readLock(client, o.namespace);
        const now = Date.now();
        if (lease?.metadata.resourceVersion !== seen.rv) seen = { rv: lease?.metadata.resourceVersion, at: now };
        const state = lockState(lease, o.holder.id, now, seen.at);
        if (state.state === 'mine') return { cluster, lease: lease!, namespaceCreated, namespaceUid };
        if (state.state === 'held') {
          waitingFor = `the run of ${describeHolder(state.holder)}`;
          say(state.holder.id, `${context}: waiting for the run of ${describeHolder(state.holder)} to finish (it holds the lock; --timeout bounds the wait)`);
        } else {
          const body = leaseFor(o.namespace, o.holder, now, lease);
          const taken = lease
            ? await client.request<Lease>({ method: 'PUT', path: `${LEASES(o.namespace)}/${LOCK_NAME}`, body })
            : await client.request<Lease>({ method: 'POST', path: LEASES(o.namespace), body });
          if (state.state === 'expired') {
            o.note(`${context}: took over the lock of ${describeHolder(state.holder)}: not renewed for ${Math.round(state.silentForMs / 1000)} s (that run is gone)`);
          }
          return { cluster, lease: taken, namespaceCreated, namespaceUid };
        }
      } catch (e) {
        // Another run was quicker (409), or the namespace went into deletion meanwhile: look again.
        if (!isStatus(e, 409) && !terminating(e)) throw e;
      }
    }
    if (Date.now() + POLL_MS >= o.deadline) {
      throw new CliError('locked', `${context}: waited for ${waitingFor} until --timeout; nothing was changed in ${context}`, {
        context, hint: 'run the same command again once that run has finished, or raise --timeout; k8ssandra status shows who holds the lock' });
    }
    await sleep(POLL_MS, undefined, { signal: o.signal }).catch(() => { throw o.signal?.reason; });
  }
}

/** This run as the namespace rule knows it: the id its objects are labelled with, and its lock's holder identity. */
export const runOf = (h: Holder) => ({ id: h.id.split('/').at(-1)!, holderId: h.id });

/** Renews one lock; a CliError when another run has it now (this run must stop). */
async function renew(h: ClusterLock, o: LockOptions): Promise<void> {
  const client = h.cluster.client.detached();
  const path = `${LEASES(o.namespace)}/${LOCK_NAME}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      h.lease = await client.request<Lease>({ method: 'PUT', path, body: leaseFor(o.namespace, o.holder, Date.now(), h.lease), timeoutMs: RENEW_MS, retries: 0 });
      return;
    } catch (e) {
      if (!isStatus(e, 409) && !isStatus(e, 404)) throw e;
      // Changed or gone since our last write: ours still, or someone else's now?
      const now = await readLock(client, o.namespace);
      const state = lockState(now, o.holder.id, Date.now(), Date.now());
      if (state.state === 'mine') { h.lease = now!; continue; }
      throw new CliError('locked', `${h.cluster.ctx.name}: this run lost its lock${state.state === 'free' ? ' (someone deleted it)' : ` to the run of ${describeHolder(state.holder)}`}; stopped`, {
        context: h.cluster.ctx.name, hint: 'this run stalled longer than the lock lasts, or the lock was deleted by hand: run the same command again once the other run has finished' });
    }
  }
}

/** Gives back every lock held; deletes a namespace a lock created when it holds nothing but this run's. */
async function release(held: ClusterLock[], o: LockOptions, r: { keepNamespaces: boolean; note: (line: string) => void }, stopRenewing: () => void): Promise<void> {
  stopRenewing();
  const deadline = Date.now() + RELEASE_MS;
  await Promise.all(held.splice(0).map(async (h) => {
    const client = h.cluster.client.detached();
    const context = h.cluster.ctx.name;
    try {
      if (h.namespaceCreated && !r.keepNamespaces) {
        // Under the lock still, so no other run of ours writes there meanwhile; the lock goes with the namespace.
        if (await deleteRunNamespace(client, o.namespace, h.namespaceUid!, runOf(o.holder), deadline, r.note)) return;
      }
      await client.request({ method: 'DELETE', path: `${LEASES(o.namespace)}/${LOCK_NAME}`,
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: h.lease.metadata.resourceVersion } } });
    } catch (e) {
      if (isStatus(e, 404)) return;
      // 409: renewed or taken since; a lock left behind expires on its own.
      r.note(`${context}: could not give the lock back (${describe(e)}); it expires by itself within a minute`);
    }
  }));
}
