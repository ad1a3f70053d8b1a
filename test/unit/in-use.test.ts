import { describe, expect, it } from 'vitest';
import { inUseChecks, usersOf, type ClusterUse } from '../../src/plan/in-use.js';

const demo: ClusterUse = { namespace: 'db', name: 'demo', datacenters: [{ name: 'dc1', k8sContext: 'dp1' }, { name: 'dc2', k8sContext: 'dp2' }, { name: 'dc0', k8sContext: '' }] };
const other: ClusterUse = { namespace: 'k8ssandra-operator', name: 'other', datacenters: [{ name: 'east', k8sContext: 'dp2' }] };
const summary = (checks: ReturnType<typeof inUseChecks>) => checks.map((c) => [c.id, c.context, c.status]);

describe('uninstall: is a cluster still used by a K8ssandraCluster?', () => {
  it('names every datacenter whose k8sContext is the data plane\'s (the control plane\'s own ones excepted)', () => {
    expect(usersOf([demo, other], 'dp2')).toEqual(['db/demo dc dc2', 'k8ssandra-operator/other dc east']);
    expect(usersOf([demo, other], 'dp9')).toEqual([]);
  });

  it('refuses a data plane in use while its control plane stays, naming each K8ssandraCluster and datacenter; passes one not in use', () => {
    const checks = inUseChecks({ controlPlane: { context: 'cp', uninstalled: false, clusters: [demo, other] },
      dataPlanes: [{ context: 'dp2', knownAs: 'dp2' }, { context: 'dp3', knownAs: 'dp3' }], force: false });
    expect(summary(checks)).toEqual([['DATA-PLANE-IN-USE', 'dp2', 'fail'], ['DATA-PLANE-IN-USE', 'dp3', 'pass']]);
    expect(checks[0]!.message).toBe('dp2: 2 K8ssandraCluster datacenters use it (k8sContext dp2): db/demo dc dc2, k8ssandra-operator/other dc east; '
      + 'without it, the control plane cp fails every reconcile of those clusters');
    expect(checks[0]!.hint).toMatch(/remove those datacenters from their K8ssandraClusters first .*or pass --force to uninstall anyway$/);
    expect(checks[1]!.message).toBe('dp3: no K8ssandraCluster in cp uses it');
  });

  it('matches the name the control plane knows the data plane by, not the user\'s context name', () => {
    const checks = inUseChecks({ controlPlane: { context: 'cp', uninstalled: false, clusters: [demo] },
      dataPlanes: [{ context: 'prod-east', knownAs: 'dp1' }], force: false });
    expect(summary(checks)).toEqual([['DATA-PLANE-IN-USE', 'prod-east', 'fail']]);
    expect(checks[0]!.message).toMatch(/^prod-east: a K8ssandraCluster datacenter uses it \(k8sContext dp1\): db\/demo dc dc1;/);
    expect(checks[0]!.hint).toBe('remove that datacenter from its K8ssandraCluster first (kubectl --context cp edit k8ssandracluster -n db demo), '
      + 'or delete the K8ssandraCluster, or pass --force to uninstall anyway');
  });

  it('--force turns the refusal into a warning that says so', () => {
    const checks = inUseChecks({ controlPlane: { context: 'cp', uninstalled: false, clusters: [demo] }, dataPlanes: [{ context: 'dp1', knownAs: 'dp1' }], force: true });
    expect(summary(checks)).toEqual([['DATA-PLANE-IN-USE', 'dp1', 'warn']]);
    expect(checks[0]!.message).toMatch(/\(--force: uninstalled anyway\)$/);
  });

  it('a control plane whose K8ssandraClusters cannot be listed is never taken as "none": refused unless --force', () => {
    const input = { controlPlane: { context: 'cp', uninstalled: false, problem: '403 forbidden' }, dataPlanes: [{ context: 'dp1', knownAs: 'dp1' }] };
    const checks = inUseChecks({ ...input, force: false });
    expect(summary(checks)).toEqual([['DATA-PLANE-IN-USE', 'dp1', 'fail']]);
    expect(checks[0]!.message).toBe('dp1: cannot tell whether a K8ssandraCluster uses it: the K8ssandraClusters in cp could not be listed (403 forbidden)');
    expect(summary(inUseChecks({ ...input, force: true }))).toEqual([['DATA-PLANE-IN-USE', 'dp1', 'warn']]);
  });

  it('the control plane uninstalled too: no data-plane refusal, a warning naming the K8ssandraClusters left without an operator', () => {
    const checks = inUseChecks({ controlPlane: { context: 'cp', uninstalled: true, clusters: [demo, other] }, dataPlanes: [{ context: 'dp1', knownAs: 'dp1' }], force: false });
    expect(summary(checks)).toEqual([['CONTROL-PLANE-IN-USE', 'cp', 'warn']]);
    expect(checks[0]!.message).toBe('cp: 2 K8ssandraClusters db/demo, k8ssandra-operator/other stay without an operator: kept with their data and Cassandra nodes, '
      + 'but nothing reconciles them until k8ssandra is installed again');
    expect(checks[0]!.hint).toMatch(/delete it before uninstalling, while the operator still runs/);
    expect(summary(inUseChecks({ controlPlane: { context: 'cp', uninstalled: true, clusters: [] }, dataPlanes: [], force: false }))).toEqual([['CONTROL-PLANE-IN-USE', 'cp', 'pass']]);
  });

  it('no control plane known: the data plane\'s own CassandraDatacenters decide, and the report says the control plane was not asked', () => {
    const checks = inUseChecks({ dataPlanes: [
      { context: 'dp1', knownAs: 'dp1', datacenters: [{ namespace: 'db', name: 'dc1', cluster: 'db/demo' }] },
      { context: 'dp2', knownAs: 'dp2', datacenters: [{ namespace: 'db', name: 'standalone' }] },
      { context: 'dp3', knownAs: 'dp3', problem: 'connection refused' }], force: false });
    expect(summary(checks)).toEqual([['DATA-PLANE-IN-USE', 'dp1', 'fail'], ['DATA-PLANE-IN-USE', 'dp2', 'warn'], ['DATA-PLANE-IN-USE', 'dp3', 'fail']]);
    expect(checks[0]!.message).toBe('dp1 runs a datacenter of a K8ssandraCluster: db/demo dc dc1; its control plane would fail every reconcile of it');
    expect(checks[1]!.message).toMatch(/no control plane was named, so whether a K8ssandraCluster names this context was not checked/);
    expect(checks[1]!.hint).toBe('name it to check (and to remove the registration there too): k8ssandra uninstall --contexts dp2 --control-plane CONTEXT');
  });
});
