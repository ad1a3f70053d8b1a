import { newTarget } from '../../src/run/target.js';
import { afterEach, describe, expect, it } from 'vitest';
import { gatherContext, gatherStatus } from '../../src/status/gather.js';
import { registerDataPlanes } from '../../src/registration/register.js';
import { crdObject, FakeCluster } from '../fakes/fake-cluster.js';
import { installOperator, NS } from '../fakes/installation.js';

const open: FakeCluster[] = [];
afterEach(async () => { await Promise.all(open.splice(0).map((f) => f.close())); });
const gatherOpts = { requestTimeoutMs: 5000 };

/**
 * cp runs the control plane, dp1 a data plane registered with it (the ClientConfig's credentials reach
 * dp1 over loopback); K8ssandraCluster demo has dc1 in dp1, whose CassandraDatacenter is Ready with
 * 2 of its 3 nodes ready.
 */
async function installation() {
  const cp = new FakeCluster({ name: 'cp' });
  const dp = new FakeCluster({ name: 'dp1' });
  open.push(dp);
  await dp.serve();
  await installOperator(cp, 'control-plane');
  await installOperator(dp, 'data-plane');
  await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'), [newTarget(dp.cluster(), 'data-plane')], { namespace: NS, clusterScoped: false, dryRun: false, force: false, tokenTtlSeconds: 30 * 86_400, apiServers: {} }, () => {});
  cp.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'db' } }, { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: 'demo', namespace: 'db' },
    spec: { cassandra: { datacenters: [{ metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 3 }] } } });
  dp.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'db' } },
    { apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', metadata: { name: 'dc1', namespace: 'db' }, spec: { size: 3 } });
  const cdc = dp.setStatus({ apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', namespace: 'db', name: 'dc1' },
    { cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True' }] });
  dp.seed({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'demo-dc1-default-sts', namespace: 'db',
    labels: { 'cassandra.datastax.com/datacenter': 'dc1' }, ownerReferences: [{ kind: 'CassandraDatacenter', name: 'dc1', uid: cdc.metadata.uid }] }, spec: { replicas: 3 } });
  dp.setStatus({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'db', name: 'demo-dc1-default-sts' }, { readyReplicas: 2 });
  return { cp, dp };
}

describe('gathering status from fake clusters', () => {
  it('reads operators, cert-manager, the install record, ClientConfigs (credentials tried), K8ssandraClusters and datacenters', async () => {
    const { cp, dp } = await installation();
    const [c, d] = await gatherStatus([cp.cluster(), dp.cluster()], gatherOpts);
    expect(c).toMatchObject({ context: 'cp', reachable: true, kubernetesVersion: 'v1.34.4', certManager: true, readProblems: [],
      operators: [{ namespace: NS, mode: 'control-plane', version: 'v1.32.5', available: true }],
      cassOperators: [{ namespace: NS, version: 'v1.30.2', available: true }],
      installRecord: { role: 'control-plane', operatorVersion: 'v1.32.5' } });
    expect(c!.controlPlane!.clientConfigs).toEqual([expect.objectContaining({ name: 'dp1', contextName: 'dp1', secretName: 'dp1-kubeconfig',
      server: dp.cluster().ctx.server, credentials: 'ok', serviceAccount: `${NS}/k8ssandra-control-plane` })]);
    expect(c!.controlPlane!.k8ssandraClusters).toEqual([{ controlPlane: 'cp', namespace: 'db', name: 'demo', datacenters: [{ name: 'dc1', k8sContext: 'dp1', size: 3 }] }]);
    expect(d).toMatchObject({ context: 'dp1', reachable: true, operators: [{ mode: 'data-plane' }], controlPlane: undefined,
      datacenters: [{ namespace: 'db', name: 'dc1', size: 3, progress: 'Ready', readyCondition: true, readyNodes: 2 }] });
    expect(c!.requests).toBeGreaterThan(0);
  });

  it('the operator\'s "None" is no error; a refusal only in status.error (its events stopped by the spam filter) still names the keyspace', async () => {
    // As seen under the real operator: status.error is "None" after a good reconcile, and repeats a refusal after its events stop.
    const { cp } = await installation();
    const ref = { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', namespace: 'db', name: 'demo' };
    cp.setStatus(ref, { error: 'None' });
    expect((await gatherContext(cp.cluster(), gatherOpts)).controlPlane!.k8ssandraClusters[0]!.error).toBeUndefined();
    cp.setStatus(ref, { error: 'cannot decommission DC dc2: keyspace app still has replicas on it', datacenters: { dc2: { decommissionProgress: 'UpdatingReplication', contextName: 'dp2' } } });
    const k = (await gatherContext(cp.cluster(), gatherOpts)).controlPlane!.k8ssandraClusters[0]!;
    expect(k.decommissions).toEqual([{ name: 'dc2', context: 'dp2', progress: 'UpdatingReplication', refusedFor: ['app'] }]);
  });

  it('a ClientConfig whose service account was deleted reads as rejected', async () => {
    const { cp, dp } = await installation();
    await dp.client().request({ method: 'DELETE', path: `/api/v1/namespaces/${NS}/serviceaccounts/k8ssandra-control-plane` });
    const c = await gatherContext(cp.cluster(), gatherOpts);
    expect(c.controlPlane!.clientConfigs[0]).toMatchObject({ credentials: 'rejected', problem: 'the token was rejected (401 Unauthorized)' });
  });

  it('a list that is forbidden is a read problem, not the end; credentials rejected make the cluster unreachable', async () => {
    const { cp } = await installation();
    cp.failWith((r) => r.path === `/api/v1/namespaces/${NS}/secrets`, 403, 'Forbidden', 'secrets is forbidden: User "u" cannot list resource "secrets"');
    const c = await gatherContext(cp.cluster(), gatherOpts);
    expect(c.reachable).toBe(true);
    expect(c.readProblems).toEqual(['cannot read Secrets: forbidden']);
    expect(c.controlPlane!.clientConfigs[0]).toMatchObject({ credentials: 'invalid', problem: 'its Secret dp1-kubeconfig does not exist' });

    const gone = new FakeCluster({ name: 'gone' });
    gone.failWith((r) => r.path === '/version', 401, 'Unauthorized', 'Unauthorized');
    expect(await gatherContext(gone.cluster(), gatherOpts)).toMatchObject({ reachable: false, unreachableReason: 'credentials rejected (401 Unauthorized)', operators: [] });
  });

  it('a cluster without the operator answers with its version only (asked in one round, nothing after it)', async () => {
    const bare = new FakeCluster({ name: 'bare', gitVersion: 'v1.30.1' });
    bare.seed(crdObject('cert-manager.io', 'Certificate', 'certificates', ['v1']));
    const c = await gatherContext(bare.cluster(), gatherOpts);
    expect(c).toMatchObject({ reachable: true, kubernetesVersion: 'v1.30.1', operators: [], cassOperators: [], readProblems: [] });
    expect(c.certManager).toBeUndefined();
    expect(bare.log.map((r) => r.path).sort()).toEqual(['/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io',
      '/apis/apps/v1/deployments', '/apis/apps/v1/deployments', '/apis/apps/v1/statefulsets', '/apis/cassandra.datastax.com/v1beta1/cassandradatacenters',
      '/apis/coordination.k8s.io/v1/leases', '/version']);
  });
});
