// The baseline: what an operator would do by hand, cluster after cluster, with kubectl.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';

interface Options { kubeconfig: string; controlPlane: string; dataPlanes: string[]; manifests: string; certManager: string; namespace: string }

export async function sequentialKubectlInstall(o: Options): Promise<void> {
  const k = async (ctx: string, args: string[], input?: string) =>
    (await execa('kubectl', ['--kubeconfig', o.kubeconfig, '--context', ctx, ...args], { input })).stdout;
  for (const ctx of [o.controlPlane, ...o.dataPlanes]) {
    await k(ctx, ['apply', '--server-side', '-f', o.certManager]);
    await k(ctx, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);
    await k(ctx, ['-n', 'cert-manager', 'rollout', 'status', 'deployment', '--timeout=120s']);
    const file = ctx === o.controlPlane ? 'control-plane.yaml' : 'data-plane.yaml';
    await k(ctx, ['apply', '--server-side', '-f', path.join(o.manifests, file)]);
    await k(ctx, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']);
    await k(ctx, ['-n', o.namespace, 'rollout', 'status', 'deployment', '--timeout=120s']);
  }
  const full = parse(readFileSync(o.kubeconfig, 'utf8'));
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-'));
  for (const dp of o.dataPlanes) {
    await k(dp, ['-n', o.namespace, 'create', 'serviceaccount', 'k8ssandra-control-plane']);
    await k(dp, ['-n', o.namespace, 'create', 'rolebinding', 'k8ssandra-control-plane', '--role=k8ssandra-operator', `--serviceaccount=${o.namespace}:k8ssandra-control-plane`]);
    const token = (await k(dp, ['-n', o.namespace, 'create', 'token', 'k8ssandra-control-plane', '--duration=8760h'])).trim();
    const clusterName = full.contexts.find((c: any) => c.name === dp).context.cluster;
    const cluster = full.clusters.find((c: any) => c.name === clusterName).cluster;
    const file = path.join(dir, dp);
    writeFileSync(file, stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': dp, clusters: [{ name: dp, cluster }],
      users: [{ name: 'cp', user: { token } }], contexts: [{ name: dp, context: { cluster: dp, user: 'cp' } }] }), { mode: 0o600 });
    await k(o.controlPlane, ['-n', o.namespace, 'create', 'secret', 'generic', `${dp}-kubeconfig`, `--from-file=kubeconfig=${file}`]);
    await k(o.controlPlane, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'config.k8ssandra.io/v1beta1', kind: 'ClientConfig',
      metadata: { name: dp, namespace: o.namespace }, spec: { contextName: dp, kubeConfigSecret: { name: `${dp}-kubeconfig` } } }));
  }
  await k(o.controlPlane, ['-n', o.namespace, 'rollout', 'status', 'deployment', '--timeout=120s']);
}
