import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import type { KubeObject } from '../../src/model/object.js';
import { planDatacenter } from '../../src/plan/datacenter.js';
import { addDatacenter } from '../../src/kube/k8ssandra-cluster.js';
import { crdObject, FakeCluster } from '../fakes/fake-cluster.js';

const KC = { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', namespace: 'ns', name: 'demo' };

/**
 * A control plane holding K8ssandraCluster demo. The promise add-dc relies on is the API server's: a
 * JSON patch whose resourceVersion is not the stored one is refused with 409, and a dry run stores nothing.
 */
function fakeServer(initial: KubeObject, opts: { refuseDryRun?: boolean } = {}) {
  const fake = new FakeCluster({ name: 'cp' });
  fake.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }, crdObject('k8ssandra.io', 'K8ssandraCluster', 'k8ssandraclusters', ['v1alpha1']), initial);
  if (opts.refuseDryRun) fake.failWith((r) => r.method === 'PATCH' && r.query.dryRun === 'All', 422, 'Invalid', 'spec.cassandra.datacenters[1].size: Invalid value: 0');
  const state = {
    get current() { return fake.get(KC)!; },
    get patches() { return fake.log.filter((r) => r.method === 'PATCH'); },
  };
  /** Another client's edit: changes the object and its resourceVersion. */
  const edit = (fn: (kc: any) => void) => { fake.edit(KC, fn); };
  return { client: fake.client(), state, edit };
}

const kc = (): KubeObject => ({
  apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster',
  metadata: { name: 'demo', namespace: 'ns', annotations: {} },
  spec: { cassandra: { datacenters: [{ metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 3 }] } },
});
const ref = { namespace: 'ns', name: 'demo' };
const planFor = (k: KubeObject) => planDatacenter(k, { cluster: 'demo', dc: 'dc2', context: 'dp2', k8sContext: 'dp2', replication: { ks1: 3 } });
const realPatches = (s: { patches: { query: Record<string, string> }[] }) => s.patches.filter((p) => !p.query.dryRun);

describe('adding a datacenter without losing concurrent edits', () => {
  it('validates with a dry run, then patches once with the resourceVersion it read', async () => {
    const f = fakeServer(kc());
    const r = await addDatacenter(f.client, ref, planFor, { dryRun: false });
    expect(r.attempts).toBe(1);
    expect(f.state.patches.map((p) => [p.method, p.contentType, p.query.dryRun])).toEqual([
      ['PATCH', 'application/json-patch+json', 'All'], ['PATCH', 'application/json-patch+json', undefined]]);
    expect(f.state.current.spec.cassandra.datacenters.map((d: any) => [d.metadata.name, d.k8sContext, d.size])).toEqual([['dc1', 'dp1', 3], ['dc2', 'dp2', 3]]);
    expect(f.state.current.metadata.annotations?.['k8ssandra.io/dc-replication']).toBe('{"dc2":{"ks1":3}}');
  });

  it('an edit between read and patch is kept: the stale patch is refused, the cluster read again and re-planned', async () => {
    const f = fakeServer(kc());
    const notes: string[] = [];
    const seen: number[] = [];
    const r = await addDatacenter(f.client, ref, planFor, {
      dryRun: false, note: (l) => notes.push(l),
      beforePatch: async (attempt) => {
        seen.push(attempt);
        if (attempt === 1) f.edit((k) => { k.spec.cassandra.datacenters[0].size = 4; k.metadata.annotations.team = 'db'; });
      },
    });
    expect(seen).toEqual([1, 2]);
    expect(r.attempts).toBe(2);
    expect(notes.join('\n')).toMatch(/changed since it was read \(attempt 1\)/);
    // Both changes survive: the other client's size and annotation, and our datacenter, planned against
    // what was read again (its size is copied from dc1 as it is now).
    expect(f.state.current.spec.cassandra.datacenters.map((d: any) => [d.metadata.name, d.size])).toEqual([['dc1', 4], ['dc2', 4]]);
    expect(f.state.current.metadata.annotations).toEqual({ team: 'db', 'k8ssandra.io/dc-replication': '{"dc2":{"ks1":3}}' });
  });

  it('someone else adding the same datacenter in between makes it unchanged, not a duplicate', async () => {
    const f = fakeServer(kc());
    const r = await addDatacenter(f.client, ref, planFor, {
      dryRun: false,
      beforePatch: async (attempt) => {
        if (attempt === 1) {
          f.edit((k) => {
            k.spec.cassandra.datacenters.push({ metadata: { name: 'dc2' }, k8sContext: 'dp2', size: 3 });
            k.metadata.annotations['k8ssandra.io/dc-replication'] = '{"dc2":{"ks1":3}}';
          });
        }
      },
    });
    expect(r.plan.action).toBe('unchanged');
    expect(f.state.current.spec.cassandra.datacenters).toHaveLength(2);
    expect(realPatches(f.state).length).toBe(1); // only the refused one
  });

  it('gives up with a conflict after a bounded number of attempts, having changed nothing', async () => {
    const f = fakeServer(kc());
    let calls = 0;
    const err = await addDatacenter(f.client, ref, planFor, {
      dryRun: false, attempts: 3, beforePatch: async () => { calls++; f.edit((k) => { k.metadata.annotations.n = String(calls); }); },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err.exit).toBe('conflict');
    expect(calls).toBe(3);
    expect(f.state.current.spec.cassandra.datacenters).toHaveLength(1);
  });

  it('a dry run sends only dry runs; a refused dry run is a usage error and nothing is sent after it', async () => {
    const f = fakeServer(kc());
    const before = f.state.current.metadata.resourceVersion;
    const r = await addDatacenter(f.client, ref, planFor, { dryRun: true });
    expect(r.plan.action).toBe('created');
    expect(f.state.patches.length).toBeGreaterThan(0);
    expect(f.state.patches.every((p) => p.query.dryRun === 'All')).toBe(true);
    expect(f.state.current.metadata.resourceVersion).toBe(before);

    const g = fakeServer(kc(), { refuseDryRun: true });
    const err = await addDatacenter(g.client, ref, planFor, { dryRun: false }).catch((e) => e);
    expect(err).toMatchObject({ exit: 'usage' });
    expect(err.message).toMatch(/refuses datacenter dc2 .*size: Invalid value: 0/);
    expect(realPatches(g.state)).toEqual([]);
  });
});
