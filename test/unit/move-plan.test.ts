import { describe, expect, it } from 'vitest';
import { buildExport, parseExport, renderExport } from '../../src/plan/export.js';
import {
  hostsDatacenters, movedContext, movedK8ssandraCluster, movedObject, movedReplicatedSecret, movedSecret, movedStatus, movePhase, moveReadiness,
  planMove, secretRefs, secretsToMove, type ControlPlaneObjects,
} from '../../src/plan/move.js';

const ready = { cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True' }] };
const kc = (over: any = {}) => ({
  apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster',
  metadata: { name: 'demo', namespace: 'ns', uid: 'u1', resourceVersion: '9', generation: 4, creationTimestamp: 'x', managedFields: [{}],
    finalizers: ['k8ssandracluster.k8ssandra.io/finalizer'],
    annotations: { 'k8ssandra.io/initial-system-replication': '{"dc1":3,"dc2":3}', 'k8ssandra.io/applied-hash': 'h' }, labels: { team: 'a' } },
  spec: { cassandra: { superuserSecretRef: { name: 'demo-superuser' }, datacenters: [
    { metadata: { name: 'dc0' } }, { metadata: { name: 'dc1' }, k8sContext: 'dp1' }, { metadata: { name: 'dc2' }, k8sContext: 'dp2' }] } },
  status: { observedGeneration: 4, error: 'None', conditions: [{ type: 'CassandraInitialized', status: 'True' }],
    datacenters: { dc0: { cassandra: ready }, dc1: { cassandra: ready }, dc2: { cassandra: ready } } },
  ...over,
});
const objects = (over: Partial<ControlPlaneObjects> = {}): ControlPlaneObjects => ({
  k8ssandraClusters: [kc()], replicatedSecrets: [], k8ssandraTasks: [], clientConfigs: [], ...over });

describe('move-control-plane plan', () => {
  it('reads where a move stands from the operators\' modes and what the old cluster holds', () => {
    expect(movePhase({ fromMode: 'control-plane', toMode: 'data-plane', leftInFrom: 1 })).toBe('start');
    expect(movePhase({ fromMode: 'data-plane', toMode: 'data-plane', leftInFrom: 1 })).toBe('switched');
    expect(movePhase({ fromMode: 'data-plane', toMode: 'control-plane', leftInFrom: 1 })).toBe('moved');
    expect(movePhase({ fromMode: 'data-plane', toMode: 'control-plane', leftInFrom: 0 })).toBe('done');
    expect(movePhase({ fromMode: 'control-plane', toMode: 'control-plane', leftInFrom: 1 })).toBe('conflict');
    expect(movePhase({ fromMode: 'control-plane', toMode: 'control-plane', leftInFrom: 1, toRecordRole: 'control-plane' })).toBe('returned');
  });

  it('gives the new control plane\'s own datacenters an empty k8sContext and names the old one\'s', () => {
    expect(movedContext('', 'cp', 'dp1')).toBe('cp');
    expect(movedContext(undefined, 'cp', 'dp1')).toBe('cp');
    expect(movedContext('dp1', 'cp', 'dp1')).toBe('');
    expect(movedContext('dp2', 'cp', 'dp1')).toBe('dp2');
    const moved = movedK8ssandraCluster(kc(), 'cp', 'dp1');
    expect(moved.spec.cassandra.datacenters.map((d: any) => d.k8sContext)).toEqual(['cp', undefined, 'dp2']);
  });

  it('keeps every annotation and label of the K8ssandraCluster, and none of what a cluster sets (uid, finalizers, our apply hash)', () => {
    const moved = movedK8ssandraCluster(kc(), 'cp', 'dp1');
    expect(moved.metadata).toEqual({ name: 'demo', namespace: 'ns', labels: { team: 'a' },
      annotations: { 'k8ssandra.io/initial-system-replication': '{"dc1":3,"dc2":3}' } });
    expect(moved.status).toBeUndefined();
  });

  it('writes the status back with observedGeneration at the copy\'s generation (not read as new, nor as changed)', () => {
    const status = movedStatus(kc(), 1)!;
    expect(status.observedGeneration).toBe(1);
    expect(status.datacenters).toEqual(kc().status.datacenters);
    expect(movedStatus(kc({ status: undefined }), 1)).toBeUndefined();
  });

  it('points ReplicatedSecret targets at the contexts the datacenters now have', () => {
    const rs = { apiVersion: 'replication.k8ssandra.io/v1alpha1', kind: 'ReplicatedSecret', metadata: { name: 'demo', namespace: 'ns', finalizers: ['f'] },
      spec: { selector: { matchLabels: { 'k8ssandra.io/cluster-name': 'demo' } }, replicationTargets: [{ k8sContextName: 'dp1' }, { k8sContextName: 'dp2' }] } };
    expect(movedReplicatedSecret(rs, 'cp', 'dp1', true).spec.replicationTargets).toEqual([{ k8sContextName: 'dp2' }, { k8sContextName: 'cp' }]);
    expect(movedReplicatedSecret(rs, 'cp', 'dp1', false).spec.replicationTargets).toEqual([{ k8sContextName: 'dp2' }]);
    expect(movedReplicatedSecret(rs, 'cp', 'dp1', false).metadata.finalizers).toBeUndefined();
  });

  it('re-points owner references at the new K8ssandraClusters and drops status and cluster-set metadata', () => {
    const task = { apiVersion: 'control.k8ssandra.io/v1alpha1', kind: 'K8ssandraTask', metadata: { name: 't', namespace: 'ns', uid: 'x',
      ownerReferences: [{ apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', name: 'demo', uid: 'old' }] }, spec: { cluster: { name: 'demo' } }, status: { completionTime: 'y' } };
    const moved = movedObject(task, new Map([['demo', 'new']]));
    expect(moved.metadata.ownerReferences).toEqual([{ apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', name: 'demo', uid: 'new' }]);
    expect(moved.status).toBeUndefined();
    expect(moved.metadata.uid).toBeUndefined();
  });

  it('takes the Secrets that ReplicatedSecrets select and that specs name, and only their data, type, labels and annotations', () => {
    const rs = { apiVersion: 'v', kind: 'ReplicatedSecret', metadata: { name: 'demo' }, spec: { selector: { matchLabels: { 'k8ssandra.io/cluster-name': 'demo' } } } };
    const secrets: { metadata: { name: string; labels?: Record<string, string> } }[] = [{ metadata: { name: 'demo-reaper', labels: { 'k8ssandra.io/cluster-name': 'demo' } } }, { metadata: { name: 'other', labels: {} } },
      { metadata: { name: 'dp2-kubeconfig' } }];
    expect(secretsToMove(objects({ replicatedSecrets: [rs] }), secrets)).toEqual(['demo-reaper', 'demo-superuser']);
    expect(secretRefs({ medusa: { storageProperties: { storageSecretRef: { name: 'bucket' } } }, reaper: { uiUserSecretRef: { name: '' } } })).toEqual(['bucket']);
    expect(movedSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns', uid: 'u', resourceVersion: '1' }, type: 'Opaque', data: { a: 'Yg==' } }))
      .toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, type: 'Opaque', data: { a: 'Yg==' } });
    expect(hostsDatacenters([kc()])).toBe(true);
  });

  it('refuses while a datacenter is not Ready, a rebuild or decommission runs, or a task runs', () => {
    const cdc = (name: string, status: any, annotations?: any) => ({ context: 'dp2', object: { apiVersion: 'v', kind: 'CassandraDatacenter', metadata: { name, namespace: 'ns', annotations }, status } });
    const pass = moveReadiness(objects(), [cdc('dc2', ready)], []);
    expect(pass.map((c) => [c.id, c.status])).toEqual([['MOVE-DATACENTERS-READY', 'pass'], ['MOVE-NO-REBUILD', 'pass'], ['MOVE-NO-TASK', 'pass']]);
    const notReady = moveReadiness(objects(), [cdc('dc2', { cassandraOperatorProgress: 'Updating' })], []);
    expect(notReady.find((c) => c.id === 'MOVE-DATACENTERS-READY')).toMatchObject({ status: 'fail', message: expect.stringMatching(/dc2 in dp2 is Updating/) });
    const stale = moveReadiness(objects({ k8ssandraClusters: [kc({ status: { ...kc().status, observedGeneration: 3 } })] }), [], []);
    expect(stale[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/not yet reconciled generation 4/) });
    // The operator marks a rebuild on the K8ssandraCluster (datacenters.go), not on the CassandraDatacenter.
    const rebuilding = kc();
    rebuilding.metadata.annotations = { ...rebuilding.metadata.annotations, 'k8ssandra.io/rebuild-dc': 'dc2' };
    expect(moveReadiness(objects({ k8ssandraClusters: [rebuilding] }), [cdc('dc2', ready)], []).find((c) => c.id === 'MOVE-NO-REBUILD'))
      .toMatchObject({ status: 'fail', message: expect.stringMatching(/datacenter dc2 is being rebuilt \(k8ssandra.io\/rebuild-dc\)/) });
    const decommission = kc();
    decommission.status.datacenters.dc2.decommissionProgress = 'Decommissioning';
    expect(moveReadiness(objects({ k8ssandraClusters: [decommission] }), [], []).find((c) => c.id === 'MOVE-NO-REBUILD')!.status).toBe('fail');
    const task = { apiVersion: 'v', kind: 'K8ssandraTask', metadata: { name: 't', namespace: 'ns' }, status: {} };
    expect(moveReadiness(objects({ k8ssandraTasks: [task] }), [], []).find((c) => c.id === 'MOVE-NO-TASK')).toMatchObject({ status: 'fail', message: expect.stringMatching(/K8ssandraTask ns\/t/) });
    expect(moveReadiness(objects({ k8ssandraTasks: [{ ...task, status: { completionTime: 'z' } }] }), [], []).find((c) => c.id === 'MOVE-NO-TASK')!.status).toBe('pass');
  });

  it('plans the steps left from where the move stands', () => {
    const base = { from: 'cp', to: 'dp1', registered: ['cp', 'dp2'], clusters: ['demo'], secrets: ['demo-superuser'], tasks: 0, replicatedSecrets: 1 };
    expect(planMove({ ...base, phase: 'start' }).map((s) => s.step)).toEqual(['record', 'register', 'copy', 'switch-old', 'switch-new', 'clean-up', 'finish']);
    expect(planMove({ ...base, phase: 'switched' }).map((s) => s.step)).toEqual(['record', 'register', 'copy', 'switch-new', 'clean-up', 'finish']);
    expect(planMove({ ...base, phase: 'moved' }).map((s) => s.step)).toEqual(['record', 'clean-up', 'finish']);
    expect(planMove({ ...base, phase: 'returned' }).map((s) => s.step)).toEqual(['record', 'register', 'switch-old', 'clean-up', 'finish']);
    expect(planMove({ ...base, phase: 'done' })).toEqual([]);
    expect(planMove({ ...base, phase: 'done', stillRecorded: true }).map((s) => s.step)).toEqual(['finish']);
    expect(planMove({ ...base, phase: 'switched', exportFile: 'f' }).map((s) => s.step)).toEqual(['record', 'register', 'copy', 'switch-new', 'finish']);
  });

  it('an export holds objects with status and Secret names only, and reads back', () => {
    const rs = { apiVersion: 'v', kind: 'ReplicatedSecret', metadata: { name: 'demo' },
      spec: { selector: { matchLabels: { c: 'demo' } }, replicationTargets: [{ k8sContextName: 'dp2' }, { k8sContextName: 'dp1' }] } };
    const e = buildExport({ context: 'cp', namespace: 'ns', now: new Date(0), objects: objects({ replicatedSecrets: [rs] }),
      secrets: [{ name: 'demo-superuser', labels: { c: 'demo' } }, { name: 'bucket' }] });
    expect(e.secrets).toEqual([{ name: 'demo-superuser', replicatedTo: ['dp1', 'dp2'] }, { name: 'bucket', replicatedTo: [] }]);
    const text = renderExport(e);
    expect(text).not.toMatch(/managedFields|resourceVersion/);
    const back = parseExport(text, 'f');
    expect(back.objects.k8ssandraClusters[0]!.status).toEqual(kc().status);
    expect(back.objects.k8ssandraClusters[0]!.metadata.annotations).toEqual(kc().metadata.annotations);
    expect(() => parseExport('kind: Other', 'f')).toThrow(/f is not a k8ssandra export/);
  });
});
