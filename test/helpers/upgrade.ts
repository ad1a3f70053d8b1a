// What the upgrade e2e files share (their `upgrade` calls stay in the test files, where the flag scanner of
// test/unit/documented-flags.test.ts sees them): the two upstream releases, a bed at v1.29.1 whatever an
// earlier file left, and the checks (with kubectl) that every cluster is at a release.
import path from 'node:path';
import { expect } from 'vitest';
import { kubectl, kubectlJson } from './bed.js';
import { certManagerManifests, k8ssandra, upstream } from './cli.js';

export const NS = 'k8ssandra-operator';
export const V1291 = path.join(upstream, 'k8ssandra-operator-v1.29.1');
export const V1325 = path.join(upstream, 'k8ssandra-operator-v1.32.5');
export const CONTEXTS = ['cp', 'dp1', 'dp2'];

/** The image tags of the operator Deployments in a cluster. */
export async function operatorImages(ctx: string): Promise<string[]> {
  const ds = await kubectlJson(ctx, '-n', NS, 'get', 'deployments');
  return ds.items.map((d: any) => d.spec.template.spec.containers[0].image).sort();
}
export const runsOperator = (images: string[], version: string) =>
  images.some((i) => i === `k8ssandra/k8ssandra-operator:${version}` || i.endsWith(`/k8ssandra-operator:${version}`));
export const has = async (ctx: string, kind: string, name: string) => (await kubectl(ctx, '-n', NS, 'get', kind, name, '--ignore-not-found', '-o', 'name')).trim() !== '';
export const installRecord = async (ctx: string) => (await kubectlJson(ctx, '-n', NS, 'get', 'configmap', 'k8ssandra-install')).data;
/** The registration Secrets in cp, by name: their resourceVersion (an upgrade must not rewrite them). */
export const secretVersions = async () => Object.fromEntries(await Promise.all(['dp1-kubeconfig', 'dp2-kubeconfig'].map(async (n) =>
  [n, (await kubectlJson('cp', '-n', NS, 'get', 'secret', n)).metadata.resourceVersion]))) as Record<string, string>;

/** Every cluster runs `version` whole: its image, the ConfigMap only v1.29.1 has, the Certificate only v1.32.5 has, and a record not marked. */
export async function expectAt(version: 'v1.29.1' | 'v1.32.5') {
  for (const ctx of CONTEXTS) {
    const images = await operatorImages(ctx);
    expect(runsOperator(images, version), `${ctx}: ${images}`).toBe(true);
    expect(await has(ctx, 'configmap', 'cass-operator-manager-config'), ctx).toBe(version === 'v1.29.1');
    expect(await has(ctx, 'certificate', 'cass-operator-metrics-certs'), ctx).toBe(version === 'v1.32.5');
    expect((await installRecord(ctx)).operatorVersion).toBe(version);
    expect((await installRecord(ctx)).upgradingTo).toBeUndefined();
  }
}

/** v1.29.1 in cp, dp1 and dp2, registered; what an earlier file left goes first (CRDs stay; --force: K8ssandraClusters may still name the data planes). */
export async function installV1291(): Promise<void> {
  const u = await k8ssandra(['uninstall', '--contexts', CONTEXTS.join(','), '--manifests', V1325, '--force', '--yes']);
  expect(u.exitCode, u.stderr + u.stdout).toBe(0);
  const r = await k8ssandra(['install', '--contexts', CONTEXTS.join(','), '--manifests', V1291, '--cert-manager-manifests', certManagerManifests,
    '--skip-routability', '--yes']);
  expect(r.exitCode, r.stderr + r.stdout).toBe(0);
  await expectAt('v1.29.1');
}
