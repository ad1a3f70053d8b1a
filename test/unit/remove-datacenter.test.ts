// remove-dc's rules, pure: what it refuses before anything changes, the ALTER KEYSPACE statements it prints,
// the patch, and how it reads the operator's progress and refusals (the same against the bed:
// test/e2e/remove-dc.test.ts).
import { describe, expect, it } from 'vitest';
import {
  alterStatement, decommissionState, type KeyspaceFacts, internalKeyspaces, keyspacesOn, planRemoval, refusalHint, refusedKeyspaces, removalChecks, removalPatch, replicationOf,
} from '../../src/plan/remove-datacenter.js';
import type { KubeObject } from '../../src/model/object.js';

const ready = { cassandra: { cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True' }] } };
const kc = (over: { dcs?: string[]; status?: any; annotations?: Record<string, string>; spec?: any } = {}): KubeObject => ({
  apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster',
  metadata: { name: 'realop', namespace: 'k8ssandra-operator', resourceVersion: '42', generation: 3, annotations: over.annotations },
  spec: { cassandra: { datacenters: (over.dcs ?? ['dc1', 'dc2']).map((n, i) => ({ metadata: { name: n }, k8sContext: `dp${i + 1}`, size: 3 })) }, ...over.spec },
  status: over.status ?? { observedGeneration: 3, conditions: [{ type: 'CassandraInitialized', status: 'True' }],
    datacenters: Object.fromEntries((over.dcs ?? ['dc1', 'dc2']).map((n) => [n, ready])) },
});
const app = { name: 'app', replication: { dc1: 3, dc2: 3 } };
const noKeyspaces: KeyspaceFacts = { keyspaces: [{ name: 'system_auth', replication: { dc1: 3, dc2: 3 } }, { name: 'app', replication: { dc1: 3 } }] };
const byId = (checks: { id: string; status: string }[]) => Object.fromEntries(checks.map((c) => [c.id, c.status]));

describe('remove-dc refuses, changing nothing', () => {
  it('passes every check for a Ready cluster whose user keyspaces no longer replicate to the datacenter', () => {
    expect(byId(removalChecks(kc(), 'dc2', noKeyspaces, []))).toEqual({
      'DC-REMOVE-LAST': 'pass', 'DC-REMOVE-CLUSTER-READY': 'pass', 'DC-REMOVE-IN-PROGRESS': 'pass', 'DC-REMOVE-KEYSPACES': 'pass' });
  });

  it('the last datacenter', () => {
    const c = removalChecks(kc({ dcs: ['dc1'] }), 'dc1', { keyspaces: [] }, []).find((x) => x.id === 'DC-REMOVE-LAST')!;
    expect(c).toMatchObject({ status: 'fail', message: 'dc1 is the last datacenter of K8ssandraCluster realop: removing it would delete the cluster\'s data' });
  });

  it('a cluster that is not initialized, a datacenter that is not Ready, a spec not yet reconciled', () => {
    const status = { observedGeneration: 2, conditions: [{ type: 'CassandraInitialized', status: 'False' }], datacenters: { dc1: ready, dc2: { cassandra: { cassandraOperatorProgress: 'Updating' } } } };
    const c = removalChecks(kc({ status }), 'dc2', noKeyspaces, []).find((x) => x.id === 'DC-REMOVE-CLUSTER-READY')!;
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/: the operator has not yet reconciled generation 3 \(observed 2\); condition CassandraInitialized is False; datacenter dc2 is [^;]+$/);
  });

  it('the operator reporting an error: not ready ("None" is no error)', () => {
    const status = { observedGeneration: 3, conditions: [{ type: 'CassandraInitialized', status: 'True' }], datacenters: { dc1: ready, dc2: ready } };
    const check = (error: string) => removalChecks(kc({ status: { ...status, error } }), 'dc2', noKeyspaces, []).find((x) => x.id === 'DC-REMOVE-CLUSTER-READY')!;
    expect(check('None').status).toBe('pass');
    expect(check('failed to reconcile datacenter dc1\nmore').message).toMatch(/: the operator reports: failed to reconcile datacenter dc1$/);
    expect(check('failed').hint).toMatch(/the operator reports no error \(k8ssandra status\)/);
  });

  it('another datacenter being decommissioned or rebuilt, or a task that runs', () => {
    const status = { observedGeneration: 3, conditions: [{ type: 'CassandraInitialized', status: 'True' }],
      datacenters: { dc1: ready, dc2: ready, dc3: { decommissionProgress: 'Decommissioning' } } };
    const c = removalChecks(kc({ status, annotations: { 'k8ssandra.io/rebuild-dc': 'dc1' } }), 'dc2', noKeyspaces, ['realop-cleanup'])
      .find((x) => x.id === 'DC-REMOVE-IN-PROGRESS')!;
    expect(c).toMatchObject({ status: 'fail',
      message: 'another change is under way in realop: datacenter dc3 is being decommissioned (Decommissioning); datacenter dc1 is being rebuilt; task realop-cleanup is running' });
  });

  it('user keyspaces that replicate to it, each with the ALTER KEYSPACE that takes it out; the operator\'s own keyspaces are not the user\'s', () => {
    const c = removalChecks(kc(), 'dc2', { keyspaces: [app, { name: 'system_auth', replication: { dc1: 3, dc2: 3 } }, { name: 'Only2', replication: { dc2: 1 } }] }, [])
      .find((x) => x.id === 'DC-REMOVE-KEYSPACES')!;
    expect(c).toMatchObject({ status: 'fail', message: 'user keyspaces still replicate to dc2: app, Only2; the operator would refuse to decommission it' });
    expect(c.hint).toContain("ALTER KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3};");
    expect(c.hint).toContain('keyspace Only2 is only in dc2: replicate it elsewhere first, or drop it');
    expect(c.hint).toMatch(/--alter-keyspaces/);
  });

  it('the operator\'s refusal: the exact statement for a keyspace whose replication was read, the staying datacenters for one that was not', () => {
    // Seen under the real operator, where the bed's API server would not proxy to a pod: the hint said "run (or pass --alter-keyspaces ...".
    expect(refusalHint(['app'], [], 'dc2', ['dc1', 'dc3'])).toBe("run ALTER KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': <replicas>, 'dc3': <replicas>};"
      + ' (the replicas each keeps: DESCRIBE KEYSPACE app); the operator goes on by itself once no user keyspace replicates to dc2 (run remove-dc again to follow it)');
    const hint = refusalHint(['app'], [app], 'dc2', ['dc1']);
    expect(hint).toContain("run ALTER KEYSPACE app WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3};");
    expect(hint).toContain('--alter-keyspaces');
  });

  it('keyspaces that cannot be read are a warning that says why: the operator\'s refusal is then the check', () => {
    const c = removalChecks(kc(), 'dc2', { unreadable: 'dp1: the API server\'s pod proxy answered 400: address not allowed' }, []).find((x) => x.id === 'DC-REMOVE-KEYSPACES')!;
    expect(c).toMatchObject({ status: 'warn' });
    expect(c.message).toMatch(/could not be read \(dp1: .*address not allowed\): the operator checks them itself/);
  });
});

describe('keyspaces, statements, patch and progress', () => {
  it('internal keyspaces follow the operator: Stargate\'s and Reaper\'s too when they run', () => {
    expect(internalKeyspaces(kc())).not.toContain('reaper_db');
    expect(internalKeyspaces(kc({ spec: { reaper: {}, stargate: {} } }))).toEqual(expect.arrayContaining(['reaper_db', 'data_endpoint_auth', 'system_auth']));
    expect(internalKeyspaces(kc({ spec: { reaper: { keyspace: 'repairs' } } }))).toContain('repairs');
    expect(keyspacesOn(kc({ spec: { reaper: {} } }), [{ name: 'reaper_db', replication: { dc2: 3 } }, app], 'dc2').map((k) => k.name)).toEqual(['app']);
  });

  it('reads the management API\'s replication map; quotes names that need it', () => {
    expect(replicationOf({ class: 'org.apache.cassandra.locator.NetworkTopologyStrategy', dc1: '3', dc2: '2' })).toEqual({ dc1: 3, dc2: 2 });
    expect(alterStatement({ name: 'MyKs', replication: { dc1: 3, dc2: 1, dc3: 2 } }, 'dc2')).toBe(`ALTER KEYSPACE "MyKs" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc3': 2};`);
    expect(alterStatement({ name: 'only', replication: { dc2: 1 } }, 'dc2')).toBeUndefined();
  });

  it('plans from the object as read: in the spec, already leaving (follow the operator), or gone', () => {
    expect(planRemoval(kc(), 'dc2')).toEqual({ action: 'removed', index: 1, k8sContext: 'dp2' });
    const leaving = kc({ dcs: ['dc1'] });
    leaving.status.datacenters.dc2 = { contextName: 'dp2', decommissionProgress: 'UpdatingReplication' };
    expect(planRemoval(leaving, 'dc2')).toEqual({ action: 'following', k8sContext: 'dp2' });
    expect(planRemoval(kc({ dcs: ['dc1'] }), 'dc2')).toEqual({ action: 'gone', k8sContext: '' });
  });

  it('the patch removes exactly that datacenter of exactly the version read (a concurrent edit fails it, never lost)', () => {
    expect(removalPatch(kc(), planRemoval(kc(), 'dc2'), 'dc2')).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
      { op: 'test', path: '/spec/cassandra/datacenters/1/metadata/name', value: 'dc2' },
      { op: 'remove', path: '/spec/cassandra/datacenters/1' },
    ]);
  });

  it('reads the operator\'s refusals from its events, for this datacenter only', () => {
    const messages = ['cannot decommission DC dc2: keyspace app still has replicas on it', 'cannot decommission DC dc2: keyspace app still has replicas on it',
      'cannot decommission DC dc20: keyspace other still has replicas on it', 'failed to get user keyspaces: timeout'];
    expect(refusedKeyspaces(messages, 'dc2')).toEqual(['app']);
  });

  it('says where the decommission is, and that it is done only when the status entry and the CassandraDatacenter are gone', () => {
    const leaving = kc({ dcs: ['dc1'] });
    leaving.status.datacenters.dc2 = { decommissionProgress: 'UpdatingReplication' };
    expect(decommissionState(leaving, 'dc2', true)).toEqual({ done: false, state: 'UpdatingReplication' });
    leaving.status.datacenters.dc2 = { decommissionProgress: 'Decommissioning' };
    expect(decommissionState(leaving, 'dc2', false)).toEqual({ done: false, state: 'Decommissioning (CassandraDatacenter deleted)' });
    delete leaving.status.datacenters.dc2;
    expect(decommissionState(leaving, 'dc2', true)).toMatchObject({ done: false });
    expect(decommissionState(leaving, 'dc2', false)).toMatchObject({ done: true });
  });
});
