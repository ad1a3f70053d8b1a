import { describe, expect, it } from 'vitest';
import { applyObject } from '../../src/kube/resources.js';
import { gatherFacts } from '../../src/checks/preflight-facts.js';
import { crdObject, FakeCluster, type Rule } from '../fakes/fake-cluster.js';
import { installOperator, NS } from '../fakes/installation.js';

const node = (name: string, podCIDRs?: string[]) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDRs ? { podCIDR: podCIDRs[0], podCIDRs } : {} });
const opts = { role: 'data-plane' as const, namespace: NS };
const reviews = (f: FakeCluster, kind: string) => f.log.filter((r) => r.path.endsWith(`/${kind}`)).length;

describe('preflight facts from a fake cluster', () => {
  it('an admin on a cluster with nodes, cert-manager and an operator: identity, pod CIDRs, the operator found, nothing denied', async () => {
    const f = new FakeCluster({ name: 'dp1', gitVersion: 'v1.33.2' });
    await installOperator(f, 'data-plane');
    f.seed(node('n1', ['10.1.0.0/24']), node('n2', ['10.1.1.0/24', 'fd00::/64']), node('n3'));
    const facts = await gatherFacts(f.cluster(), opts);
    expect(facts).toMatchObject({ context: 'dp1', reachable: true, version: 'v1.33.2', denied: [], certManager: true, certManagerOurs: false,
      podCidrs: ['10.1.0.0/24', '10.1.1.0/24', 'fd00::/64'], nodesWithoutCidr: 1,
      operators: [{ namespace: NS, mode: 'data-plane', version: 'v1.32.5', available: true, clusterScoped: false, replicas: { desired: 1, available: 1 } }] });
    expect(facts.clusterId).toBe(f.get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-system' })!.metadata.uid);
    // The rules review granted everything: no access review one by one.
    expect([reviews(f, 'selfsubjectrulesreviews'), reviews(f, 'selfsubjectaccessreviews')]).toEqual([1, 0]);
  });

  it('a user without cluster-scoped rights: the permissions it lacks, no cluster id, cert-manager that k8ssandra installed counts as its own', async () => {
    const rules: Rule[] = [
      { verbs: ['get', 'list'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['create', 'patch'], apiGroups: ['', 'apps', 'rbac.authorization.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io'],
        resources: ['namespaces', 'deployments', 'serviceaccounts', 'secrets', 'services', 'configmaps', 'roles', 'rolebindings', 'customresourcedefinitions'] },
      { verbs: ['create', 'delete'], apiGroups: [''], resources: ['pods'] },
      // The run lock: may take it, not give it back.
      { verbs: ['create'], apiGroups: ['coordination.k8s.io'], resources: ['leases'] },
      // Names one object: a rules review cannot grant from it; the access review asked instead denies.
      { verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['someone-else'] },
    ];
    const f = new FakeCluster({ name: 'dp1', rules });
    await applyObject(f.client(), crdObject('cert-manager.io', 'Certificate', 'certificates', ['v1']));
    f.failWith((r) => r.path === '/api/v1/namespaces/kube-system', 403, 'Forbidden', 'namespaces "kube-system" is forbidden');
    const facts = await gatherFacts(f.cluster(), opts);
    expect(facts.reachable).toBe(true);
    expect(facts.clusterId).toBeUndefined();
    expect(facts.denied).toEqual([
      'create clusterroles.rbac.authorization.k8s.io', 'patch clusterroles.rbac.authorization.k8s.io',
      'create clusterrolebindings.rbac.authorization.k8s.io', 'patch clusterrolebindings.rbac.authorization.k8s.io',
      'create validatingwebhookconfigurations.admissionregistration.k8s.io', 'patch validatingwebhookconfigurations.admissionregistration.k8s.io',
      'create mutatingwebhookconfigurations.admissionregistration.k8s.io', 'patch mutatingwebhookconfigurations.admissionregistration.k8s.io',
      'update leases.coordination.k8s.io', 'delete leases.coordination.k8s.io', 'create serviceaccounts/token']);
    expect(facts).toMatchObject({ certManager: false, certManagerOurs: true, operators: [] });
  });

  it('a cluster that rejects the credentials is unreachable, with the reason, and asked nothing more', async () => {
    const f = new FakeCluster({ name: 'dp1' });
    f.failWith((r) => r.path === '/api/v1/namespaces/kube-system', 401, 'Unauthorized', 'Unauthorized');
    const facts = await gatherFacts(f.cluster(), opts);
    expect(facts).toMatchObject({ reachable: false, unreachableReason: 'credentials rejected (401 Unauthorized)', operators: 'unknown' });
    expect(f.log.map((r) => r.path)).toEqual(['/version', '/api/v1/namespaces/kube-system']);
  });
});
