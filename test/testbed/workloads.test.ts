// Controllers and kwok together: a Deployment rolls out (ReplicaSet, Pods scheduled on the fake node,
// Running and Ready with IPs from the cluster's own pod CIDR).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podCidr } from '../../testbed/topology.js';
import { apply, createNamespace, deleteNamespace, kubectl, kubectlJson, uniqueName } from '../helpers/bed.js';

const ns = uniqueName('bed-deploy');

describe('workloads on the bed', () => {
  beforeAll(() => createNamespace('dp1', ns));
  afterAll(() => deleteNamespace('dp1', ns));

  it('rolls out a Deployment on dp1 with pod IPs in dp1\'s pod CIDR', async () => {
    await apply('dp1', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
    });
    await kubectl('dp1', '-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=60s');
    const deployment = await kubectlJson('dp1', '-n', ns, 'get', 'deployment', 'web');
    expect(deployment.status.conditions).toContainEqual(expect.objectContaining({ type: 'Available', status: 'True' }));
    const pods = (await kubectlJson('dp1', '-n', ns, 'get', 'pods', '-l', 'app=web')).items;
    expect(pods).toHaveLength(2);
    const prefix = podCidr('dp1').replace('0/24', '');
    for (const pod of pods) {
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.podIP.startsWith(prefix)).toBe(true);
    }
    // The controller manager's other loops run too: the namespace got its root CA and default account.
    await kubectl('dp1', '-n', ns, 'get', 'configmap', 'kube-root-ca.crt');
    await kubectl('dp1', '-n', ns, 'get', 'serviceaccount', 'default');
  });
});
