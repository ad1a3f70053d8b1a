// Why a Deployment is not available, read from objects shaped as kube-apiserver 1.34 returns them
// (ReplicaSet conditions and FailedCreate events of the ReplicaSet controller, pod conditions of the
// scheduler, container states of the kubelet), and the wait that fails on the reason instead of at --timeout.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { ApiError, type KubeClient, type KubeRequest } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/model/object.js';
import { whyNotAvailable, type Workload } from '../../src/kube/workloads.js';
import { waitDeploymentsAvailable } from '../../src/kube/apply.js';

const NS = 'k8ssandra-operator';
const PSA_REFUSAL = 'pods "k8ssandra-operator-5d8f7c9b6-x2k4p" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities '
  + '(container "k8ssandra-operator" must set securityContext.capabilities.drop=["ALL"]), seccompProfile (pod or container "k8ssandra-operator" '
  + 'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';
const TAINTED = '0/1 nodes are available: 1 node(s) had untolerated taint {k8ssandra.io/e2e: yes}. preemption: 0/1 nodes are available: '
  + '1 Preemption is not helpful for scheduling.';

function deployment(over: { generation?: number; available?: number } = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'k8ssandra-operator', namespace: NS, uid: 'd-uid', generation: over.generation ?? 1, labels: { 'control-plane': 'k8ssandra-operator' } },
    spec: { replicas: 1, selector: { matchLabels: { 'control-plane': 'k8ssandra-operator' } } },
    status: { observedGeneration: over.generation ?? 1, replicas: 1, updatedReplicas: 1, availableReplicas: over.available ?? 0, unavailableReplicas: 1 - (over.available ?? 0),
      conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }] } };
}

function replicaSet(revision: number, failure?: string): KubeObject {
  const hash = `5d8f7c9b${revision}`;
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: `k8ssandra-operator-${hash}`, namespace: NS, uid: `rs-${revision}`,
      labels: { 'control-plane': 'k8ssandra-operator', 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/desired-replicas': '1', 'deployment.kubernetes.io/max-replicas': '2', 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'k8ssandra-operator', uid: 'd-uid', controller: true, blockOwnerDeletion: true }] },
    spec: { replicas: 1 },
    status: { replicas: 0, observedGeneration: 1,
      ...(failure ? { conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-11-30T14:00:01Z', reason: 'FailedCreate', message: failure }] } : {}) } };
}

function pod(rs: number, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `k8ssandra-operator-5d8f7c9b${rs}-q7w2z`, namespace: NS, labels: { 'control-plane': 'k8ssandra-operator' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `k8ssandra-operator-5d8f7c9b${rs}`, uid: `rs-${rs}`, controller: true, blockOwnerDeletion: true }] },
    spec: { containers: [{ name: 'k8ssandra-operator', image: 'k8ssandra/k8ssandra-operator:v1.32.5' }] },
    status: { qosClass: 'Burstable', ...status } };
}

const unschedulable = (rs = 1) => pod(rs, { phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-11-30T14:00:02Z', reason: 'Unschedulable', message: TAINTED }] });

const waiting = (rs: number, reason: string, message: string, extra: Record<string, unknown> = {}) => pod(rs, { phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
  containerStatuses: [{ name: 'k8ssandra-operator', image: 'k8ssandra/k8ssandra-operator:v1.32.5', imageID: '', ready: false, started: false,
    restartCount: 0, state: { waiting: { reason, message } }, lastState: {}, ...extra }] });

const crashing = (restarts: number) => waiting(1, 'CrashLoopBackOff', 'back-off 40s restarting failed container=k8ssandra-operator', {
  restartCount: restarts, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-11-30T14:00:05Z', finishedAt: '2026-11-30T14:00:06Z' } } });

const event = (rsName: string, message: string): KubeObject => ({ apiVersion: 'v1', kind: 'Event',
  metadata: { name: `${rsName}.1871f0c2a3b4c5d6`, namespace: NS }, type: 'Warning', reason: 'FailedCreate', message, count: 12,
  involvedObject: { kind: 'ReplicaSet', namespace: NS, name: rsName, uid: 'rs-1', apiVersion: 'apps/v1' },
  source: { component: 'replicaset-controller' }, lastTimestamp: '2026-11-30T14:00:10Z' });

const workload = (w: Partial<Workload>): Workload => ({ deployment: deployment(), replicaSets: [replicaSet(1)], pods: [], events: [], ...w });

describe('why a Deployment is not available', () => {
  it('a pod that Pod Security refuses: FailedCreate, certain at once, with the label to change', () => {
    const why = whyNotAvailable(workload({ replicaSets: [replicaSet(1, PSA_REFUSAL)] }))!;
    expect(why).toMatchObject({ kind: 'FailedCreate', certain: true });
    expect(why.message).toContain('violates PodSecurity "restricted:latest"');
    expect(why.hint).toMatch(/pod-security\.kubernetes\.io\/enforce=restricted/);
    expect(why.hint).toMatch(/kubectl label namespace k8ssandra-operator pod-security\.kubernetes\.io\/enforce=baseline --overwrite/);
  });

  it('a FailedCreate that the pod no longer meets in a dry run now is stale; a dry run that cannot tell makes it uncertain', () => {
    const rs = [replicaSet(1, PSA_REFUSAL)];
    expect(whyNotAvailable(workload({ replicaSets: rs, admissionNow: { verdict: 'admitted' } }))).toBeUndefined();
    expect(whyNotAvailable(workload({ replicaSets: rs, admissionNow: { verdict: 'unknown', message: 'connection reset' } })))
      .toMatchObject({ kind: 'FailedCreate', certain: false });
    expect(whyNotAvailable(workload({ replicaSets: rs, admissionNow: { verdict: 'refused', message: PSA_REFUSAL } })))
      .toMatchObject({ kind: 'FailedCreate', certain: true });
  });

  it('a service account not there yet: FailedCreate, but the ReplicaSet controller retries, so not certain', () => {
    const why = whyNotAvailable(workload({ replicaSets: [replicaSet(1, 'pods "k8ssandra-operator-5d8f7c9b1-" is forbidden: error looking up service account k8ssandra-operator/k8ssandra-operator: serviceaccount "k8ssandra-operator" not found')] }))!;
    expect(why).toMatchObject({ kind: 'FailedCreate', certain: false });
  });

  it('reads the FailedCreate event when the ReplicaSet has no condition; a policy webhook is certain', () => {
    const rs = replicaSet(1);
    const why = whyNotAvailable(workload({ replicaSets: [rs], events: [
      event('other-rs', 'pods "x" is forbidden: exceeded quota: q'),
      event(rs.metadata.name, 'admission webhook "validate.kyverno.svc-fail" denied the request: policy Pod/k8ssandra-operator/x for resource violation'),
    ] }))!;
    expect(why).toMatchObject({ kind: 'FailedCreate', certain: true });
    expect(why.message).toMatch(/kyverno/);
    expect(why.hint).toMatch(/validate\.kyverno\.svc-fail.*PolicyException/);
  });

  it('looks at the newest revision only: an old ReplicaSet\'s failure and pods do not count', () => {
    const old = replicaSet(1, PSA_REFUSAL);
    expect(whyNotAvailable(workload({ replicaSets: [old, replicaSet(2)], pods: [unschedulable(1)] }))).toBeUndefined();
    expect(whyNotAvailable(workload({ replicaSets: [replicaSet(2), old], pods: [unschedulable(2)] }))?.kind).toBe('Unschedulable');
  });

  it('a pod the scheduler cannot place: Unschedulable with its message (taints), not certain (the scheduler retries)', () => {
    const why = whyNotAvailable(workload({ pods: [unschedulable()] }))!;
    expect(why).toMatchObject({ kind: 'Unschedulable', certain: false });
    expect(why.message).toBe(`pod k8ssandra-operator-5d8f7c9b1-q7w2z Unschedulable: ${TAINTED}`);
    expect(why.hint).toMatch(/taint.*toleration/);
  });

  it('images that cannot be pulled: not certain, unless the name is invalid', () => {
    const backoff = whyNotAvailable(workload({ pods: [waiting(1, 'ImagePullBackOff', 'Back-off pulling image "k8ssandra/k8ssandra-operator:v1.32.5"')] }))!;
    expect(backoff).toMatchObject({ kind: 'ImagePull', certain: false });
    expect(backoff.message).toMatch(/ImagePullBackOff: Back-off pulling image/);
    expect(backoff.hint).toMatch(/cannot pull k8ssandra\/k8ssandra-operator:v1\.32\.5/);
    expect(whyNotAvailable(workload({ pods: [waiting(1, 'InvalidImageName', 'Failed to apply default image tag "Bad:Name": invalid reference format')] })))
      .toMatchObject({ kind: 'ImagePull', certain: true });
  });

  it('a crash loop is certain after three restarts, with the count and the last exit; one restart is not (the control plane restarts on purpose)', () => {
    expect(whyNotAvailable(workload({ pods: [crashing(1)] }))).toBeUndefined();
    const why = whyNotAvailable(workload({ pods: [crashing(4)] }), 'dp1')!;
    expect(why).toMatchObject({ kind: 'CrashLoop', certain: true });
    expect(why.message).toBe('pod k8ssandra-operator-5d8f7c9b1-q7w2z container k8ssandra-operator CrashLoopBackOff after 4 restarts (last exit 1 Error)');
    expect(why.hint).toBe('kubectl --context dp1 -n k8ssandra-operator logs deployment/k8ssandra-operator --previous shows why it exits');
  });

  it('nothing known to be wrong: a pod still starting, or being deleted', () => {
    expect(whyNotAvailable(workload({ pods: [waiting(1, 'ContainerCreating', '')] }))).toBeUndefined();
    const leaving = unschedulable();
    leaving.metadata.deletionTimestamp = '2026-11-30T14:00:00Z';
    expect(whyNotAvailable(workload({ pods: [leaving] }))).toBeUndefined();
  });

  it('prefers what blocks the most: FailedCreate over pods, Unschedulable over a crash loop', () => {
    expect(whyNotAvailable(workload({ replicaSets: [replicaSet(1, PSA_REFUSAL)], pods: [crashing(5)] }))?.kind).toBe('FailedCreate');
    expect(whyNotAvailable(workload({ pods: [crashing(5), unschedulable()] }))?.kind).toBe('Unschedulable');
  });
});

/** A cluster whose Deployment, ReplicaSets, pods and events are given, as the list and get calls return them. */
function cluster(state: { deployment: KubeObject; replicaSets?: KubeObject[]; pods?: KubeObject[]; events?: KubeObject[]; refuse?: string }) {
  const requests: string[] = [];
  const client: KubeClient = {
    context: 'dp2', server: 'https://dp2.invalid', requestCount: 0, detached: () => client,
    async request<T>(r: KubeRequest): Promise<T> {
      requests.push(`${r.method ?? 'GET'} ${r.path}${r.query?.dryRun ? `?dryRun=${r.query.dryRun}` : ''}`);
      if (r.method === 'POST' && r.path.endsWith('/pods')) {
        if (state.refuse) throw new ApiError(403, 'Forbidden', state.refuse, 'dp2');
        return r.body as T;
      }
      const list = (items: KubeObject[] = []) => ({ metadata: {}, items }) as T;
      if (r.path === `/apis/apps/v1/namespaces/${NS}/deployments/k8ssandra-operator`) return structuredClone(state.deployment) as T;
      if (r.path === '/apis/apps/v1') return { resources: [{ name: 'replicasets', kind: 'ReplicaSet', namespaced: true }] } as T;
      if (r.path === '/api/v1') return { resources: [{ name: 'events', kind: 'Event', namespaced: true }] } as T;
      if (r.path.endsWith('/replicasets')) return list(state.replicaSets);
      if (r.path.endsWith('/pods')) return list(state.pods);
      if (r.path.endsWith('/events')) return list(state.events);
      throw new Error(`unexpected request ${r.path}`);
    },
  };
  return { client, requests };
}

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('the wait succeeded'); }, (e: unknown) => e as CliError);

describe('waiting for Deployments', () => {
  it('fails at once, with the reason, when the pod is refused by admission (not at the deadline)', async () => {
    const { client, requests } = cluster({ deployment: deployment(), replicaSets: [replicaSet(1, PSA_REFUSAL)], refuse: PSA_REFUSAL });
    const started = Date.now();
    const e = await failure(waitDeploymentsAvailable(client, NS, ['k8ssandra-operator'], Date.now() + 60_000));
    expect(Date.now() - started).toBeLessThan(30_000); // well before the 60 s deadline
    expect(e).toBeInstanceOf(CliError);
    expect(e).toMatchObject({ exit: 'notReady', context: 'dp2' });
    expect(e.message).toMatch(/^dp2: Deployment k8ssandra-operator\/k8ssandra-operator is not available: pods ".*" is forbidden: violates PodSecurity "restricted:latest"/);
    expect(e.hint).toMatch(/enforce=baseline/);
    expect(requests).toContain(`POST /api/v1/namespaces/${NS}/pods?dryRun=All`);
  });

  it('a FailedCreate the pod no longer meets (namespace relabelled; the controller backs off before it retries) does not fail the wait', async () => {
    const { client } = cluster({ deployment: deployment(), replicaSets: [replicaSet(1, PSA_REFUSAL)] });
    const e = await failure(waitDeploymentsAvailable(client, NS, ['k8ssandra-operator'], Date.now() + 800, 100));
    expect(e).toMatchObject({ exit: 'timeout' });
    expect(e.message).toBe('timed out waiting for Deployments to be available in dp2 (not available yet: k8ssandra-operator)');
  });

  it('fails on Unschedulable once it has lasted the grace period', async () => {
    const { client } = cluster({ deployment: deployment(), replicaSets: [replicaSet(1)], pods: [unschedulable()] });
    const started = Date.now();
    const e = await failure(waitDeploymentsAvailable(client, NS, ['k8ssandra-operator'], Date.now() + 60_000, 1_000));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - started).toBeLessThan(30_000); // well before the 60 s deadline
    expect(e).toMatchObject({ exit: 'notReady' });
    expect(e.message).toMatch(/is not available: pod .* Unschedulable: 0\/1 nodes are available: 1 node\(s\) had untolerated taint/);
  });

  it('a deadline before the grace ends: the timeout says the reason seen', async () => {
    const { client } = cluster({ deployment: deployment(), replicaSets: [replicaSet(1)], pods: [unschedulable()] });
    const e = await failure(waitDeploymentsAvailable(client, NS, ['k8ssandra-operator'], Date.now() + 600, 60_000));
    expect(e).toMatchObject({ exit: 'timeout' });
    expect(e.message).toMatch(/not available yet: k8ssandra-operator \(pod .* Unschedulable: 0\/1 nodes/);
  });

  it('an available Deployment ends the wait at once and reads nothing else', async () => {
    const { client, requests } = cluster({ deployment: deployment({ available: 1 }), replicaSets: [replicaSet(1, PSA_REFUSAL)] });
    await waitDeploymentsAvailable(client, NS, ['k8ssandra-operator'], Date.now() + 5_000);
    expect(requests).toEqual([`GET /apis/apps/v1/namespaces/${NS}/deployments/k8ssandra-operator`]);
  });
});
