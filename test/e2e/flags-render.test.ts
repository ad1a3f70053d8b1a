// render's flags beyond the basic call of render.test.ts: the control plane not first, another namespace,
// the cluster-scoped variant, --operator-version checked against the manifests, cert-manager rendered into
// every folder. render touches no cluster: it runs without a kubeconfig.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { certManagerManifests, k8ssandra, operatorManifests } from '../helpers/cli.js';

const ALT = 'k8ssandra-alt';
const noCluster = { kubeconfig: null, env: { KUBECONFIG: '/nonexistent' } };
const objects = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean) as any[];
const controlPlaneEnv = (objs: any[]) => objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'k8ssandra-operator')
  .spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE').value;

describe('k8ssandra render with every option', () => {
  it('--control-plane --namespace --operator-version --cluster-scoped --cert-manager-manifests', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'render-flags-'));
    const r = await k8ssandra(['render', '--contexts', 'dp1,cp', '--control-plane', 'cp', '--namespace', ALT, '--operator-version', 'v1.32.5',
      '--manifests', operatorManifests, '--cert-manager-manifests', certManagerManifests, '--cluster-scoped', '--out', out, '-o', 'json'], noCluster);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().clusters.map((c: any) => [c.context, c.role, c.namespace])).toEqual([['dp1', 'data-plane', ALT], ['cp', 'control-plane', ALT]]);
    expect(readdirSync(path.join(out, 'cp')).sort()).toEqual(['00-cert-manager.yaml', '10-k8ssandra-operator.yaml', '30-clientconfigs.yaml']);
    expect(readdirSync(path.join(out, 'dp1')).sort()).toEqual(['00-cert-manager.yaml', '10-k8ssandra-operator.yaml', '20-control-plane-access.yaml']);

    const cp = objects(path.join(out, 'cp/10-k8ssandra-operator.yaml'));
    const dp1 = objects(path.join(out, 'dp1/10-k8ssandra-operator.yaml'));
    // --control-plane cp, though dp1 comes first.
    expect(controlPlaneEnv(cp)).toBe('true');
    expect(controlPlaneEnv(dp1)).toBe('false');
    // --namespace: every namespaced object of the release, and the ClientConfigs, in ALT.
    for (const o of [...cp, ...dp1, ...objects(path.join(out, 'cp/30-clientconfigs.yaml'))]) {
      if (o.metadata.namespace) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ALT);
    }
    // --cluster-scoped: the operator watches every namespace; the control plane's account is bound cluster-wide.
    const watch = cp.find((o) => o.kind === 'Deployment' && o.metadata.name === 'k8ssandra-operator').spec.template.spec.containers[0].env
      .find((e: any) => e.name === 'WATCH_NAMESPACE');
    expect(watch.value).toBe('');
    const access = objects(path.join(out, 'dp1/20-control-plane-access.yaml'));
    expect(access.find((o) => o.metadata.name === 'k8ssandra-control-plane' && /RoleBinding$/.test(o.kind))).toMatchObject({
      kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: 'k8ssandra-operator' }, subjects: [{ namespace: ALT }] });
    // --cert-manager-manifests: that release, in every folder.
    for (const ctx of ['cp', 'dp1']) {
      expect(objects(path.join(out, ctx, '00-cert-manager.yaml')).map((o) => o.kind)).toContain('CustomResourceDefinition');
    }
  });

  it('--operator-version that the manifests do not hold is refused (exit 2), nothing written', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'render-flags-'));
    const r = await k8ssandra(['render', '--contexts', 'cp,dp1', '--operator-version', 'v1.29.1', '--manifests', operatorManifests, '--out', out], noCluster);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--manifests holds operator v1\.32\.5, not v1\.29\.1/);
    expect(readdirSync(out)).toEqual([]);
  });
});
