// A control plane on the bed that consumes registrations like k8ssandra-operator (testbed/consumer/):
// start it against the bed's kubeconfig, read what it saw, wait for its data planes to sync.
//   const consumer = await startConsumer();
//   const synced = await consumer.waitSynced(['dp1', 'dp2']); // synced[i].serviceAccount, .credentialId
//   ...; await consumer.stop();
import { startConsumer as startSupervisor, stopConsumer, eventsPath, type ConsumerOptions } from '../../testbed/consumer/control.js';
import { readEvents, type ConsumerEvent } from '../../testbed/consumer/events.js';
import { bedKubeconfig, waitFor } from './bed.js';

export type EventOf<K extends ConsumerEvent['event']> = Extract<ConsumerEvent, { event: K }>;

export interface Consumer {
  /** Every event so far, in order; an index into it marks "from now on" for the waits. */
  events(): ConsumerEvent[];
  /** How many times the supervisor started the consumer again (a pod's restartCount). */
  restarts(): number;
  /** The first event from index `from` on that is of kind `kind` and matches `match`. */
  waitForEvent<K extends ConsumerEvent['event']>(kind: K, match?: (e: EventOf<K>) => boolean,
    opts?: { from?: number; timeoutMs?: number }): Promise<EventOf<K> & { index: number }>;
  /** Waits for one run (from index `from` on) that synced every one of `contexts`; answers its synced events in that order. */
  waitSynced(contexts: string[], opts?: { from?: number; timeoutMs?: number }): Promise<(EventOf<'synced'> & { index: number })[]>;
  stop(): Promise<void>;
}

function describeTail(events: ConsumerEvent[]): string {
  return events.slice(-12).map((e) => JSON.stringify(e)).join('\n');
}

/** Starts the consumer (replacing one that runs) against the bed; the tests' default cache-sync timeout is short. */
export async function startConsumer(opts: ConsumerOptions = {}): Promise<Consumer> {
  await startSupervisor({ kubeconfig: bedKubeconfig(), cacheSyncTimeoutMs: 30_000, ...opts });
  const events = () => readEvents(eventsPath);
  const indexed = () => events().map((e, index) => ({ ...e, index }));
  return {
    events,
    restarts: () => events().filter((e) => e.event === 'restarting').length,
    waitForEvent: (kind, match = () => true, { from = 0, timeoutMs = 60_000 } = {}) =>
      waitFor(`consumer event ${kind}`, async () => indexed().slice(from).find((e): e is any => e.event === kind && match(e as any)), timeoutMs)
        .catch((e: Error) => { throw new Error(`${e.message}\nlast events:\n${describeTail(events())}`); }),
    waitSynced: (contexts, { from = 0, timeoutMs = 90_000 } = {}) =>
      waitFor(`consumer synced ${contexts.join(', ')}`, async () => {
        const synced = indexed().slice(from).filter((e): e is EventOf<'synced'> & { index: number } => e.event === 'synced');
        const runs = [...new Set(synced.map((e) => e.run))].reverse();
        for (const run of runs) {
          const ofRun = contexts.map((c) => synced.find((e) => e.run === run && e.context === c));
          if (ofRun.every(Boolean)) return ofRun as (EventOf<'synced'> & { index: number })[];
        }
        return undefined;
      }, timeoutMs).catch((e: Error) => { throw new Error(`${e.message}\nlast events:\n${describeTail(events())}`); }),
    stop: async () => { await stopConsumer(); },
  };
}
