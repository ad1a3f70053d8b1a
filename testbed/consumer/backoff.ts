// When a kubelet starts a container again after it ended (k8s.io/client-go/util/flowcontrol Backoff as
// the kubelet uses it): the first restart is immediate; each further one waits the current backoff
// (10 s, doubling up to 5 min) after the container ended; a container that ran 10 min (twice the
// maximum) since its last restart starts from scratch again.
export interface BackoffOptions { initialMs: number; maxMs: number }
export interface BackoffEntry { backoffMs: number; lastUpdate: number }

export const KUBELET_BACKOFF: BackoffOptions = { initialMs: 10_000, maxMs: 300_000 };

/** When the container that ended at `finishedAt` starts again, and the backoff entry after that restart. */
export function nextRestart(entry: BackoffEntry | undefined, finishedAt: number, o: BackoffOptions = KUBELET_BACKOFF): { at: number; entry: BackoffEntry } {
  if (!entry || finishedAt - entry.lastUpdate > 2 * o.maxMs) return { at: finishedAt, entry: { backoffMs: o.initialMs, lastUpdate: finishedAt } };
  const at = finishedAt + entry.backoffMs;
  return { at, entry: { backoffMs: Math.min(entry.backoffMs * 2, o.maxMs), lastUpdate: at } };
}
