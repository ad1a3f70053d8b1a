// One data plane as the control-plane operator sees it: a cache (list, then watch) of every kind its
// controllers watch there (k8ssandracluster_controller.go, secret_controller.go, k8ssandratask_controller.go),
// in the watched namespace or cluster-wide. As controller-runtime's source.Kind does, a kind that is not
// served (no CRD) is looked up again every 10 s with "if kind is a CRD, it should be installed before
// calling Start", and a cache that has not synced within the cache-sync timeout (2 min upstream) fails
// the whole manager: exit 1. Rejected credentials and an unreachable server end the same way.
import { AuthenticationV1Api, KubernetesObjectApi, ListWatch, Watch, type KubernetesObject, type KubernetesListObject } from '@kubernetes/client-node';
import type { Breakage, EventLog } from './events.js';
import { Broken, classify, type Registration } from './registrations.js';

export const WATCHED_KINDS = [
  { apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', plural: 'cassandradatacenters' },
  { apiVersion: 'stargate.k8ssandra.io/v1alpha1', kind: 'Stargate', plural: 'stargates' },
  { apiVersion: 'reaper.k8ssandra.io/v1alpha1', kind: 'Reaper', plural: 'reapers' },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
  { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' },
  { apiVersion: 'control.k8ssandra.io/v1alpha1', kind: 'CassandraTask', plural: 'cassandratasks' },
] as const; // all namespaced

/** controller-runtime's source.Kind polls for an informer at this interval. */
export const KIND_RETRY_MS = 10_000;
const SA_PREFIX = 'system:serviceaccount:';

export interface SyncOptions { namespace?: string; cacheSyncTimeoutMs: number; log: EventLog }
export interface DataPlane { synced: Promise<void>; stop(): void }

const apiPath = (apiVersion: string) => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

/** Starts the caches of one data plane; `synced` resolves once every kind has listed, and rejects with Broken at the timeout. */
export function startDataPlane(reg: Registration, opts: SyncOptions): DataPlane {
  const started = Date.now();
  const api = KubernetesObjectApi.makeApiClient(reg.config);
  const informers = new Map<string, ListWatch<KubernetesObject>>();
  const listed = new Set<string>();
  const lastError = new Map<string, { breakage: Breakage; message: string }>();
  const stop = new AbortController();
  const stopped = () => stop.signal.aborted;

  /** Logs a kind's error when it differs from the last one logged for it (retries repeat them). */
  const note = (kind: string, breakage: Breakage, message: string) => {
    const prev = lastError.get(kind);
    lastError.set(kind, { breakage, message });
    if (prev?.message === message) return;
    if (breakage === 'not-served') {
      opts.log.write({ event: 'kind-not-served', context: reg.context, kind, message: `${message}; if kind is a CRD, it should be installed before calling Start (retrying every ${KIND_RETRY_MS / 1000} s)` });
    } else opts.log.write({ event: 'watch-error', context: reg.context, kind, breakage, message });
  };

  const syncKind = ({ apiVersion, kind, plural }: (typeof WATCHED_KINDS)[number]) => new Promise<void>((resolve) => {
    const path = `${apiPath(apiVersion)}${opts.namespace ? `/namespaces/${opts.namespace}` : ''}/${plural}`;
    // client-node looks the kind up in the server's discovery before listing: not served fails there.
    const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const l = await api.list(apiVersion, kind, opts.namespace);
      listed.add(kind);
      lastError.delete(kind);
      resolve();
      return l;
    };
    const informer = new ListWatch<KubernetesObject>(path, new Watch(reg.config), list, false);
    informers.set(kind, informer);
    let backoff = 800;
    // A kind not served is looked up again every 10 s (source.Kind); a failed list or watch is retried
    // with backoff, as client-go's reflector does (up to 30 s there; 10 s here).
    informer.on('error', (err: unknown) => {
      if (stopped()) return; // our own abort
      const c = /Unrecognized API version and kind/.test(String((err as Error)?.message)) ? { breakage: 'not-served' as const, message: '' } : classify(err);
      note(kind, c.breakage, c.breakage === 'not-served' ? `no matches for kind "${kind}" in version "${apiVersion}"` : c.message);
      const delay = c.breakage === 'not-served' ? KIND_RETRY_MS : backoff;
      backoff = Math.min(backoff * 2, 10_000);
      setTimeout(() => { if (!stopped()) void informer.start(); }, delay).unref();
    });
    void informer.start();
  });

  const synced = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      const pending = WATCHED_KINDS.find((k) => !listed.has(k.kind))?.kind ?? WATCHED_KINDS[0].kind;
      const why = lastError.get(pending);
      reject(new Broken(why?.breakage ?? 'unreachable', `${reg.context}: timed out waiting for cache to be synced for Kind ${pending}${why ? `: ${why.message}` : ''}`, reg.context));
    }, opts.cacheSyncTimeoutMs);
    Promise.all(WATCHED_KINDS.map(syncKind)).then(async () => {
      if (stopped()) return;
      clearTimeout(timer);
      const who = await whoAmI(reg);
      const username = who.username ?? 'unknown';
      opts.log.write({ event: 'synced', context: reg.context, clientConfig: reg.clientConfig.metadata.name,
        scope: opts.namespace ? `namespace ${opts.namespace}` : 'cluster', kinds: WATCHED_KINDS.map((k) => k.kind),
        objects: Object.fromEntries([...informers].map(([kind, i]) => [kind, i.list().length])),
        username, serviceAccount: username.startsWith(SA_PREFIX) ? username.slice(SA_PREFIX.length).split(':')[1] : undefined,
        credentialId: who.extra?.['authentication.kubernetes.io/credential-id']?.[0], secretHash: reg.secretHash, ms: Date.now() - started });
      resolve();
    }, reject);
  });

  return {
    synced,
    stop: () => {
      stop.abort();
      for (const i of informers.values()) void i.stop();
    },
  };
}

/** Who the stored credentials are (a SelfSubjectReview): the user name and the credential's ID, never the token. */
async function whoAmI(reg: Registration): Promise<{ username?: string; extra?: Record<string, string[]> }> {
  try {
    const r = await reg.config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    return { username: r.status?.userInfo?.username, extra: r.status?.userInfo?.extra };
  } catch (e) {
    return { username: `unknown (${classify(e).message})` };
  }
}
