// An installation in fake clusters, built with the tool's own steps: the real upstream release applied
// by installCluster, the Deployments then marked available (the fake runs no controllers).
import path from 'node:path';
import type { KubeObject } from '../../src/model/object.js';
import { loadOperatorRelease, type OperatorRelease, type Role } from '../../src/manifests/operator-release.js';
import { installCluster, type InstallTarget } from '../../src/kube/install-release.js';
import { crdObject, type FakeCluster } from './fake-cluster.js';

export const UPSTREAM = path.resolve(import.meta.dirname, '../../../shared/upstream/k8ssandra-operator-v1.32.5');
export const NS = 'k8ssandra-operator';

let release: Promise<OperatorRelease> | undefined;
/** The real k8ssandra-operator v1.32.5 release, loaded once per test file. */
export const upstreamRelease = () => (release ??= loadOperatorRelease({ manifests: UPSTREAM }));

/** cert-manager as someone else installed it: only the CRDs the operator release's objects need. */
export const certManagerCrds = (): KubeObject[] => [
  crdObject('cert-manager.io', 'Certificate', 'certificates', ['v1']), crdObject('cert-manager.io', 'Issuer', 'issuers', ['v1'])];

export const installTarget = (fake: FakeCluster, role: Role, version = 'v1.32.5'): InstallTarget => ({
  cluster: fake.cluster(), role, installCertManager: false,
  record: { tool: 'test', role, clusterScoped: false, operatorVersion: version, cassOperatorVersion: 'v1.30.2', operatorSource: UPSTREAM },
});

/** Installs the release in `role` mode and makes every Deployment available, as its controller would. */
export async function installOperator(fake: FakeCluster, role: Role): Promise<void> {
  fake.seed(...certManagerCrds());
  await installCluster(installTarget(fake, role), await upstreamRelease(), undefined,
    { namespace: NS, dryRun: false, force: false, deadline: Date.now() + 10_000 }, () => {});
  for (const d of fake.list('apps/v1', 'Deployment')) {
    const replicas = d.spec.replicas ?? 1;
    fake.setStatus({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: d.metadata.namespace, name: d.metadata.name },
      { observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, availableReplicas: replicas, readyReplicas: replicas });
  }
}
