// The bed's control-plane consumer (testbed/consumer/): the kubelet's restart backoff, how a stored
// kubeconfig is read, how API errors are classified. Its behaviour on a bed: test/e2e/consumer.test.ts.
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KUBELET_BACKOFF, nextRestart, type BackoffEntry } from '../../testbed/consumer/backoff.js';
import { parseSeconds, supervisorArgs } from '../../testbed/consumer/control.js';
import { Broken, classify, hashOf, remoteConfig } from '../../testbed/consumer/registrations.js';

describe('nextRestart: the kubelet\'s backoff', () => {
  it('restarts at once the first time, then waits 10 s, 20 s, 40 s ... up to 5 min after each exit', () => {
    let entry: BackoffEntry | undefined;
    let t = 1_000_000;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const next = nextRestart(entry, t);
      delays.push(next.at - t);
      entry = next.entry;
      t = next.at + 1000; // each run lasts a second
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('starts from scratch after a run longer than twice the maximum', () => {
    const first = nextRestart(undefined, 0);
    const second = nextRestart(first.entry, 5000);
    expect(second.at).toBe(15_000);
    const late = nextRestart(second.entry, second.at + 2 * KUBELET_BACKOFF.maxMs + 1);
    expect(late.at - (second.at + 2 * KUBELET_BACKOFF.maxMs + 1)).toBe(0);
    expect(late.entry.backoffMs).toBe(KUBELET_BACKOFF.initialMs);
  });

  it('honours other settings', () => {
    const o = { initialMs: 1000, maxMs: 3000 };
    const a = nextRestart(undefined, 0, o);
    const b = nextRestart(a.entry, 0, o);
    const c = nextRestart(b.entry, b.at, o);
    const d = nextRestart(c.entry, c.at, o);
    expect([a.at, b.at, c.at - b.at, d.at - c.at]).toEqual([0, 1000, 2000, 3000]);
  });
});

const kubeconfig = (over: { server?: string; context?: string; user?: Record<string, unknown> } = {}) => stringify({
  apiVersion: 'v1', kind: 'Config', 'current-context': 'dp1',
  clusters: [{ name: 'dp1', cluster: { server: over.server ?? 'https://127.0.0.1:20010' } }],
  users: [{ name: 'sa', user: over.user ?? { token: 'x' } }],
  contexts: [{ name: over.context ?? 'dp1', context: { cluster: 'dp1', user: 'sa' } }],
});

function breakage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof Broken) return `${e.breakage}: ${e.message}`;
    throw e;
  }
  return 'ok';
}

describe('remoteConfig: the stored kubeconfig as upstream reads it', () => {
  it('selects the context the ClientConfig names', () => {
    const kc = remoteConfig(kubeconfig(), 'dp1', 'Secret ns/dp1-kubeconfig');
    expect(kc.getCurrentContext()).toBe('dp1');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:20010');
  });

  it('is broken without that context, with a credential plugin, or off loopback', () => {
    expect(breakage(() => remoteConfig(kubeconfig({ context: 'other' }), 'dp1', 'S'))).toBe('bad-kubeconfig: S: context was not found for specified context: dp1');
    expect(breakage(() => remoteConfig(kubeconfig({ user: { exec: { command: 'aws' } } }), 'dp1', 'S'))).toMatch(/^bad-kubeconfig: .*credential plugin/);
    expect(breakage(() => remoteConfig(kubeconfig({ server: 'https://10.0.0.1:6443' }), 'dp1', 'S'))).toMatch(/^not-loopback: S: server https:\/\/10\.0\.0\.1:6443 is not on loopback/);
    expect(breakage(() => remoteConfig('{', 'dp1', 'S'))).toMatch(/^bad-kubeconfig: S: not a kubeconfig/);
  });
});

describe('classify', () => {
  it('tells rejected, forbidden, not served and unreachable apart', () => {
    expect(classify({ code: 401, body: '{"message":"Unauthorized"}', message: 'HTTP-Code: 401' })).toEqual({ breakage: 'rejected', message: 'the credentials were rejected (401 Unauthorized)' });
    expect(classify({ code: 403, body: { message: 'secrets is forbidden' } }).breakage).toBe('forbidden');
    expect(classify({ code: 404, body: '' }).breakage).toBe('not-served');
    expect(classify(Object.assign(new Error('request to https://127.0.0.1:1/ failed, reason: connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).breakage).toBe('unreachable');
    expect(classify(new Error('something else')).breakage).toBe('error');
  });
});

describe('options', () => {
  it('hashes content, not key order', () => {
    expect(hashOf({ b: '2', a: '1' })).toBe(hashOf({ a: '1', b: '2' }));
    expect(hashOf({ a: '1' })).not.toBe(hashOf({ a: '2' }));
  });

  it('reads durations and passes the consumer its options', () => {
    expect([parseSeconds('15s'), parseSeconds('2m'), parseSeconds('30')]).toEqual([15_000, 120_000, 30_000]);
    expect(() => parseSeconds('soon')).toThrow(/not a duration/);
    const args = supervisorArgs({ kubeconfig: '/k', clusterScoped: true, cacheSyncTimeoutMs: 15_000, backoffMs: 2000 });
    expect(args).toEqual(expect.arrayContaining(['--kubeconfig', '/k', '--cluster-scoped', '--cache-sync-timeout', '15s', '--backoff', '2s']));
  });
});
