import { CONTROL_PLANE_ENV, OPERATOR_DEPLOYMENT, type Role } from '../manifests/operator-release.js';
import { deploymentAvailable, deploymentReplicas } from './apply.js';
import { imageTag } from './images.js';
import { installedBy, type Installer } from '../plan/installed-by.js';
import type { KubeClient } from './client.js';

/** An install of k8ssandra-operator found in a cluster: where, in which mode, which version. */
export interface ExistingOperator {
  namespace: string;
  mode: Role;
  version?: string;
  clusterScoped?: boolean;
  available?: boolean;
  replicas?: { desired: number; available: number };
  /** Who installed it: k8ssandra, Helm (with its release), or another tool. */
  installedBy?: Installer;
}

/** Operator installs found in any namespace, with the mode their env says and whether they are available. */
export async function findOperators(client: KubeClient): Promise<ExistingOperator[]> {
  const list = await client.request<{ items: any[] }>({ path: '/apis/apps/v1/deployments', query: { labelSelector: `control-plane=${OPERATOR_DEPLOYMENT}` } });
  return list.items.filter((d) => d.metadata.name === OPERATOR_DEPLOYMENT).map((d) => {
    const c = d.spec.template.spec.containers[0];
    const env = (c.env ?? []).find((e: { name: string }) => e.name === CONTROL_PLANE_ENV);
    // Without a WATCH_NAMESPACE value (the cluster-scoped variant sets it empty) the operator watches all namespaces.
    const watch = (c.env ?? []).find((e: { name: string }) => e.name === 'WATCH_NAMESPACE');
    return { namespace: d.metadata.namespace, mode: env?.value === 'true' ? 'control-plane' : 'data-plane',
      version: imageTag(d), available: deploymentAvailable(d), replicas: deploymentReplicas(d), clusterScoped: !watch?.value && !watch?.valueFrom, installedBy: installedBy(d.metadata) };
  });
}
