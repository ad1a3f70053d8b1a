// The addresses the bed's API servers dial come from cluster data. Trigger such dials and prove they stay
// on loopback: a webhook call (CRD conversion; it resolves Services to ClusterIPs like admission webhooks
// do) and a log request (the API server dials the node's InternalIP, where kwok serves the kubelet API).
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '../../testbed/bed.js';
import { serviceCidr } from '../../testbed/topology.js';
import { apply, createNamespace, deleteNamespace, kubectl, kubectlJson, uniqueName, waitFor } from '../helpers/bed.js';

const CONTEXT = 'dp1';
const ns = uniqueName('bed-safety');
const group = `${ns}.bed.test`;
const crd = `widgets.${group}`;

function inServiceRange(ip: string): boolean {
  return ip.startsWith(serviceCidr(CONTEXT).replace('0.0/16', ''));
}

/** TCP connections (not listeners) of the given processes, from `ss`. */
async function connectionsOf(pids: number[]): Promise<{ pid: number; peer: string }[]> {
  const { stdout } = await execa('ss', ['-tnpH']);
  return stdout
    .split('\n')
    .flatMap((line) => {
      const cols = line.trim().split(/\s+/);
      const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
      return pids.includes(pid) ? [{ pid, peer: cols[4] ?? '' }] : [];
    });
}

function peerHost(peer: string): string {
  return peer.replace(/:\d+$/, '').replace(/^\[(?:::ffff:)?/, '').replace(/\]$/, '');
}

describe('network safety of the bed', () => {
  beforeAll(() => createNamespace(CONTEXT, ns));
  afterAll(async () => {
    await kubectl(CONTEXT, 'delete', 'crd', crd, '--ignore-not-found', '--wait=false');
    await deleteNamespace(CONTEXT, ns);
  });

  it('dials a webhook Service at its loopback ClusterIP', async () => {
    await apply(
      CONTEXT,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'conv', namespace: ns }, spec: { ports: [{ port: 443 }], selector: { app: 'conv' } } },
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: crd },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
          conversion: {
            strategy: 'Webhook',
            webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { name: 'conv', namespace: ns, path: '/convert', port: 443 } } },
          },
          versions: ['v1', 'v2'].map((name) => ({
            name,
            served: true,
            storage: name === 'v1',
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          })),
        },
      },
    );
    await kubectl(CONTEXT, 'wait', '--for=condition=Established', `crd/${crd}`, '--timeout=30s');
    const clusterIP = (await kubectlJson(CONTEXT, '-n', ns, 'get', 'service', 'conv')).spec.clusterIP as string;
    expect(inServiceRange(clusterIP)).toBe(true);
    await waitFor('the v1 Widget to be created', async () => {
      await apply(CONTEXT, { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w', namespace: ns } });
      return true;
    });

    // Reading v2 needs a conversion: the API server calls the webhook, and the error says where it dialled.
    const error = await kubectl(CONTEXT, '-n', ns, 'get', `widgets.v2.${group}`).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(error).toContain(`dial tcp ${clusterIP}:443`);
    expect(error).toContain('connection refused');
  });

  it('dials the node at 127.0.0.1 (kwok) for logs, and every connection of the bed stays on loopback', async () => {
    await apply(CONTEXT, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'logger', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await waitFor('pod logger Running', async () =>
      (await kubectlJson(CONTEXT, '-n', ns, 'get', 'pod', 'logger')).status?.phase === 'Running' ? true : undefined,
    );
    const node = await kubectlJson(CONTEXT, 'get', 'node', 'kwok-node-0');
    const kubeletPort = node.status.daemonEndpoints.kubeletEndpoint.Port as number;
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });

    // kwok answers (it has no logs for a fake container): the API server reached it on 127.0.0.1.
    const error = await kubectl(CONTEXT, '-n', ns, 'logs', 'logger').then(
      () => '',
      (e: Error) => e.message,
    );
    expect(error).toContain('no logs found');

    const bed = await status();
    const cluster = bed.clusters.find((c) => c.context === CONTEXT)!;
    const apiserver = cluster.processes.find((p) => p.component === 'kube-apiserver')!.pid;
    const apiserverPeers = (await connectionsOf([apiserver])).map((c) => c.peer);
    expect(apiserverPeers).toContain(`127.0.0.1:${kubeletPort}`); // the kept-alive connection to kwok

    const pids = [...bed.clusters.flatMap((c) => c.processes.map((p) => p.pid)), bed.agent.pid!];
    const offLoopback = (await connectionsOf(pids)).filter((c) => !/^127\.|^::1$/.test(peerHost(c.peer)));
    expect(offLoopback).toEqual([]);
  });

  it('runs without admission webhooks: a failing webhook with failurePolicy Fail blocks nothing', async () => {
    await apply(CONTEXT, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: ns },
      webhooks: [
        {
          name: `deny.${group}`,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          clientConfig: { service: { name: 'conv', namespace: ns, port: 443 } },
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
        },
      ],
    });
    try {
      await kubectl(CONTEXT, '-n', ns, 'create', 'configmap', 'allowed');
    } finally {
      await kubectl(CONTEXT, 'delete', 'validatingwebhookconfiguration', ns, '--ignore-not-found');
    }
  });
});
