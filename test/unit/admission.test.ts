// POD-ADMISSION: the release's pods in a server-side dry run, before anything is written.
import { describe, expect, it } from 'vitest';
import { admissionChecks, dryRunReleasePods, releasePods, whereToDryRun } from '../../src/checks/admission.js';
import { admissionVerdict } from '../../src/kube/workloads.js';
import { ApiError, type KubeClient, type KubeRequest } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/model/object.js';
import { evaluatePreflight } from '../../src/checks/preflight.js';
import type { ClusterFacts } from '../../src/checks/preflight-facts.js';

const NS = 'k8ssandra-operator';
const PSA_REFUSAL = 'pods "k8ssandra-operator-x7k2p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
  + '(container "k8ssandra-operator" must set securityContext.allowPrivilegeEscalation=false)';

const namespace = (name: string, labels: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });

const deployment = (name: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS, labels: { app: name } },
  spec: { replicas: 1, selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name }, annotations: { 'kubectl.kubernetes.io/default-container': 'manager' } },
      spec: { serviceAccountName: name, securityContext: { runAsNonRoot: true },
        containers: [{ name: 'manager', image: `example/${name}:v1`, securityContext: { allowPrivilegeEscalation: false } }] } } } });

const release = [namespace(NS, { 'control-plane': 'k8ssandra-operator' }), deployment('k8ssandra-operator'), deployment('cass-operator-controller-manager'),
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'k8ssandra-operator', namespace: NS } }];

describe('the pods of the release', () => {
  it('are each Deployment\'s pod template, in its namespace, without the service account the release creates later', () => {
    const pods = releasePods(release);
    expect(pods.map((p) => p.deployment)).toEqual(['k8ssandra-operator', 'cass-operator-controller-manager']);
    const { pod } = pods[0]!;
    expect(pod).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'k8ssandra-operator-', namespace: NS, labels: { app: 'k8ssandra-operator' } } });
    expect(pod.spec.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false });
    expect(pod.spec.securityContext).toEqual({ runAsNonRoot: true });
    expect(pod.spec.serviceAccountName).toBeUndefined();
  });
});

describe('where the pods are dry-run', () => {
  it('in their namespace when it exists', () => {
    expect(whereToDryRun(NS, namespace(NS, { 'pod-security.kubernetes.io/enforce': 'restricted' }), null, release[0])).toEqual({ namespace: NS });
  });
  it('in namespace default when theirs does not exist yet and both get the same Pod Security labels', () => {
    expect(whereToDryRun(NS, null, namespace('default'), release[0])).toEqual({ namespace: 'default' });
    const labelled = namespace(NS, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    expect(whereToDryRun(NS, null, namespace('default', { 'pod-security.kubernetes.io/enforce': 'baseline' }), labelled)).toEqual({ namespace: 'default' });
  });
  it('a namespace being deleted counts as not there (seen: uninstall then install at once on a fresh cluster)', () => {
    const terminating = { ...namespace(NS), metadata: { ...namespace(NS).metadata, deletionTimestamp: '2026-12-06T10:00:00Z' } };
    expect(whereToDryRun(NS, terminating, namespace('default'), release[0])).toEqual({ namespace: 'default' });
  });
  it('nowhere when default has other Pod Security labels than the new namespace gets', () => {
    const w = whereToDryRun(NS, null, namespace('default', { 'pod-security.kubernetes.io/enforce': 'privileged' }), release[0]);
    expect(w).toEqual({ unchecked: expect.stringMatching(/namespace k8ssandra-operator does not exist yet, and namespace default has other Pod Security labels/) });
  });
});

describe('verdicts', () => {
  it('an admission refusal is a refusal; a missing service account, namespace or permission says nothing about admission', () => {
    expect(admissionVerdict(new ApiError(403, 'Forbidden', PSA_REFUSAL, 'dp1'))).toEqual({ verdict: 'refused', message: PSA_REFUSAL });
    expect(admissionVerdict(new ApiError(400, 'BadRequest', 'admission webhook "validate.kyverno.svc-fail" denied the request: no', 'dp1')).verdict).toBe('refused');
    expect(admissionVerdict(new ApiError(403, 'Forbidden', 'pods "x" is forbidden: error looking up service account ns/default: serviceaccount "default" not found', 'dp1')).verdict).toBe('unknown');
    expect(admissionVerdict(new ApiError(403, 'Forbidden', 'pods is forbidden: User "jane" cannot create resource "pods" in API group "" in the namespace "x"', 'dp1')).verdict).toBe('unknown');
    expect(admissionVerdict(new ApiError(404, 'NotFound', 'namespaces "x" not found', 'dp1')).verdict).toBe('unknown');
  });

  it('POD-ADMISSION fails on a refusal, quoting it, with the label to change', () => {
    const [c] = admissionChecks('dp1', [
      { deployment: 'k8ssandra-operator', namespace: NS, checkedIn: NS, verdict: 'refused', message: PSA_REFUSAL },
      { deployment: 'cass-operator-controller-manager', namespace: NS, checkedIn: NS, verdict: 'refused', message: PSA_REFUSAL },
    ]);
    expect(c).toMatchObject({ id: 'POD-ADMISSION', status: 'fail', context: 'dp1' });
    expect(c!.message).toBe(`dp1: the pod of Deployment ${NS}/k8ssandra-operator would be refused: ${PSA_REFUSAL} (and 1 more: cass-operator-controller-manager)`);
    expect(c!.hint).toMatch(/^namespace k8ssandra-operator enforces Pod Security "restricted" \(label pod-security\.kubernetes\.io\/enforce=restricted/);
    expect(c!.hint).toMatch(/enforce=baseline --overwrite/);
  });

  it('says where it checked when the namespace does not exist yet; warns when it could not check', () => {
    expect(admissionChecks('cp', [{ deployment: 'k8ssandra-operator', namespace: NS, checkedIn: 'default', verdict: 'admitted' }])[0])
      .toMatchObject({ status: 'pass', message: 'the operator pods would be admitted (checked in namespace default: k8ssandra-operator does not exist yet)' });
    expect(admissionChecks('cp', [{ deployment: 'k8ssandra-operator', namespace: NS, checkedIn: NS, verdict: 'admitted' }])[0])
      .toMatchObject({ status: 'pass', message: 'the operator pods would be admitted' });
    expect(admissionChecks('cp', [{ deployment: 'k8ssandra-operator', namespace: NS, verdict: 'unknown', message: 'connection reset' }])[0])
      .toMatchObject({ status: 'warn', message: `cp: could not dry-run the pod of Deployment ${NS}/k8ssandra-operator: connection reset` });
  });

  it('preflight carries the verdict of every cluster whose pods were dry-run', () => {
    const facts = (context: string, admission?: ClusterFacts['admission']): ClusterFacts => ({ context, server: `https://${context}`, reachable: true,
      version: 'v1.34.4', clusterId: context, denied: [], certManager: true, operators: [], podCidrs: [], nodesWithoutCidr: 0, admission });
    const checks = evaluatePreflight([facts('cp', [{ deployment: 'k8ssandra-operator', namespace: NS, checkedIn: NS, verdict: 'admitted' }]),
      facts('dp1', [{ deployment: 'k8ssandra-operator', namespace: NS, checkedIn: NS, verdict: 'refused', message: PSA_REFUSAL }]), facts('dp2')],
    { controlPlane: 'cp', namespace: NS, operatorVersion: 'v1', installCertManager: true });
    expect(checks.filter((c) => c.id === 'POD-ADMISSION').map((c) => [c.context, c.status])).toEqual([['cp', 'pass'], ['dp1', 'fail']]);
  });
});

/** An API server with the given namespaces that refuses pods in those labelled restricted, as Pod Security Admission does. */
function apiServer(namespaces: KubeObject[]) {
  const posts: KubeRequest[] = [];
  const client: KubeClient = {
    context: 'dp1', server: 'https://dp1.invalid', requestCount: 0, detached: () => client,
    async request<T>(r: KubeRequest): Promise<T> {
      const ns = /^\/api\/v1\/namespaces\/([^/]+)(\/pods)?$/.exec(r.path);
      const found = namespaces.find((n) => n.metadata.name === ns?.[1]);
      if (!ns) throw new Error(`unexpected request ${r.path}`);
      if (!found) throw new ApiError(404, 'NotFound', `namespaces "${ns[1]}" not found`, 'dp1');
      if (!ns[2]) return found as T;
      posts.push(r);
      if (found.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted') throw new ApiError(403, 'Forbidden', PSA_REFUSAL, 'dp1');
      return { ...(r.body as object), metadata: { ...(r.body as KubeObject).metadata, name: 'generated' } } as T;
    },
  };
  return { client, posts };
}

describe('the dry run', () => {
  it('creates each pod with dryRun=All in its namespace, never by name', async () => {
    const s = apiServer([namespace(NS, { 'pod-security.kubernetes.io/enforce': 'restricted' }), namespace('default')]);
    const out = await dryRunReleasePods(s.client, release);
    expect(out.map((o) => [o.deployment, o.checkedIn, o.verdict])).toEqual([['k8ssandra-operator', NS, 'refused'], ['cass-operator-controller-manager', NS, 'refused']]);
    expect(s.posts.map((p) => [p.method, p.path, p.query?.dryRun])).toEqual([['POST', `/api/v1/namespaces/${NS}/pods`, 'All'], ['POST', `/api/v1/namespaces/${NS}/pods`, 'All']]);
    expect((s.posts[0]!.body as KubeObject).metadata.name).toBeUndefined();
  });

  it('a namespace that cannot be read leaves the pods unchecked (a warning), not a crash of preflight', async () => {
    const client: KubeClient = { context: 'dp1', server: 'https://dp1.invalid', requestCount: 0, detached: () => client,
      request: async () => { throw new ApiError(403, 'Forbidden', 'namespaces "k8ssandra-operator" is forbidden: User "jane" cannot get resource "namespaces"', 'dp1'); } };
    const out = await dryRunReleasePods(client, release);
    expect(out.map((o) => o.verdict)).toEqual(['unknown', 'unknown']);
    expect(admissionChecks('dp1', out)[0]).toMatchObject({ status: 'warn', message: expect.stringMatching(/cannot read namespace k8ssandra-operator: .*forbidden/) });
  });

  it('stands in namespace default for a namespace that does not exist yet', async () => {
    const s = apiServer([namespace('default')]);
    const out = await dryRunReleasePods(s.client, release);
    expect(out.map((o) => [o.checkedIn, o.verdict])).toEqual([['default', 'admitted'], ['default', 'admitted']]);
    expect(s.posts.map((p) => p.path)).toEqual(['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods']);
  });
});
