// The bed's clusters: real API servers of the bed's version (v1.34.4 unless made with --k8s-version), one context each, a ready fake node with
// its own pod CIDR, and nothing an API server could dial off the machine.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { status } from '../../testbed/bed.js';
import { safetyCheckPath } from '../../testbed/paths.js';
import { bedSettings } from '../../testbed/settings.js';
import { podCidr, serviceCidr } from '../../testbed/topology.js';
import { bedKubeconfig, kubectl, kubectlJson } from '../helpers/bed.js';

const CONTEXTS = ['cp', 'dp1', 'dp2'];

describe('test bed clusters', () => {
  it('has contexts cp, dp1, dp2 (cp first and current) with unique cluster and user names', async () => {
    const config = await kubectlJson('cp', 'config', 'view');
    const names = config.contexts.map((c: { name: string }) => c.name);
    expect(names.slice(0, 3)).toEqual(CONTEXTS);
    expect(config['current-context']).toBe('cp');
    const clusters = config.contexts.map((c: { context: { cluster: string } }) => c.context.cluster);
    const users = config.contexts.map((c: { context: { user: string } }) => c.context.user);
    expect(new Set(clusters).size).toBe(names.length);
    expect(new Set(users).size).toBe(names.length);
  });

  it.each(CONTEXTS)('%s answers /version with the bed\'s Kubernetes version', async (context) => {
    const version = JSON.parse(await kubectl(context, 'get', '--raw', '/version'));
    expect(version.gitVersion).toBe(bedSettings().k8sVersion);
  });

  it('lists the nodes of dp2 with plain kubectl', async () => {
    const { stdout } = await execa('kubectl', ['--kubeconfig', bedKubeconfig(), '--context', 'dp2', 'get', 'nodes']);
    expect(stdout).toMatch(/kwok-node-0\s+Ready/);
  });

  it.each(CONTEXTS)('%s has a Ready node on 127.0.0.1 with its own pod CIDR and room for pods', async (context) => {
    const node = await kubectlJson(context, 'get', 'node', 'kwok-node-0');
    expect(node.spec.podCIDR).toBe(podCidr(context));
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    expect(Number(node.status.allocatable.pods)).toBeGreaterThanOrEqual(100);
    expect(node.spec.taints ?? []).toEqual([]);
  });

  it.each(CONTEXTS)('%s hands out ClusterIPs from its loopback service range', async (context) => {
    const svc = await kubectlJson(context, '-n', 'default', 'get', 'service', 'kubernetes');
    expect(svc.spec.clusterIP).toBe(serviceCidr(context).replace('.0.0/16', '.0.1'));
  });

  it('reports itself healthy, with the agent alive', async () => {
    const s = await status();
    expect(s.healthy).toBe(true);
    expect(s.agent.alive).toBe(true);
    expect(s.clusters.map((c) => c.context).slice(0, 3)).toEqual(CONTEXTS);
    for (const c of s.clusters) expect(c.processes.map((p) => p.component).sort()).toEqual(
      ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok-controller'],
    );
  });

  it('passes the machine network safety check', async () => {
    const r = await execa(safetyCheckPath, [bedKubeconfig()], { reject: false, all: true });
    expect(r.all).not.toContain('UNSAFE');
    expect(r.exitCode).toBe(0);
  });
});
