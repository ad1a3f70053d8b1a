import { ApiError, ConnectError } from '../kube/client.js';
import { deniedPermissions, describePermission, type Permission } from '../kube/access.js';
import type { Cluster } from '../kube/connect.js';
import { findOperators, type ExistingOperator } from '../kube/operators.js';
import { managedByUs } from '../model/field-manager.js';
import type { KubeObject } from '../model/object.js';
import { renderForCluster, type OperatorRelease, type Role } from '../manifests/operator-release.js';
import { dryRunReleasePods, type AdmissionOutcome } from './admission.js';

/** What preflight learned about one cluster: plain data, so the verdicts below are pure functions. */
export interface ClusterFacts {
  context: string;
  server: string;
  reachable: boolean;
  unreachableReason?: string;
  version?: string;
  clusterId?: string;
  denied: string[];
  /**
   * cert-manager is there and someone else's: left alone. One that k8ssandra installed counts as
   * missing, so that every run applies it again: a run killed half-way through it converges (objects
   * already as applied cost no write).
   */
  certManager: boolean;
  certManagerOurs?: boolean;
  operators: ExistingOperator[] | 'unknown';
  podCidrs: string[];
  nodesWithoutCidr: number;
  /** The release's pods in a server-side dry run (when the release is known). */
  admission?: AdmissionOutcome[];
}

/** What `install` writes: the permissions preflight asks SelfSubjectAccessReview about. */
export function installPermissions(role: Role): Permission[] {
  const cluster = (group: string, resource: string): Permission[] =>
    ['create', 'patch'].map((verb) => ({ verb, group, resource, namespaced: false }));
  const ns = (group: string, resource: string): Permission[] =>
    ['create', 'patch'].map((verb) => ({ verb, group, resource, namespaced: true }));
  return [
    ...cluster('apiextensions.k8s.io', 'customresourcedefinitions'),
    ...cluster('', 'namespaces'),
    ...cluster('rbac.authorization.k8s.io', 'clusterroles'),
    ...cluster('rbac.authorization.k8s.io', 'clusterrolebindings'),
    ...cluster('admissionregistration.k8s.io', 'validatingwebhookconfigurations'),
    ...cluster('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
    ...ns('apps', 'deployments'), ...ns('', 'serviceaccounts'), ...ns('', 'secrets'), ...ns('', 'services'),
    ...ns('', 'configmaps'), ...ns('rbac.authorization.k8s.io', 'roles'), ...ns('rbac.authorization.k8s.io', 'rolebindings'),
    // The routability probe's temporary pods.
    ...['create', 'delete'].map((verb) => ({ verb, group: '', resource: 'pods', namespaced: true })),
    // The run lock (src/kube/lock.ts).
    ...['get', 'create', 'update', 'delete'].map((verb) => ({ verb, group: 'coordination.k8s.io', resource: 'leases', namespaced: true })),
    ...(role === 'control-plane'
      ? ns('config.k8ssandra.io', 'clientconfigs')
      : [{ verb: 'create', group: '', resource: 'serviceaccounts', subresource: 'token', namespaced: true }]),
  ];
}

/** Reads everything preflight needs from one cluster; a cluster that cannot be reached yields `reachable: false`. */
export async function gatherFacts(cluster: Cluster, opts: { role: Role; namespace: string; release?: OperatorRelease }): Promise<ClusterFacts> {
  const { client } = cluster;
  const facts: ClusterFacts = { context: cluster.ctx.name, server: cluster.ctx.server, reachable: false, denied: [], certManager: false, operators: 'unknown', podCidrs: [], nodesWithoutCidr: 0 };
  try {
    // /version answers anyone; reading kube-system proves the credentials and identifies the cluster.
    // Both at once, with few retries: a cluster that is down is known within seconds, and no retry of
    // the one outlives the other's failure by long.
    const [v, ks] = await Promise.all([
      client.request<{ gitVersion: string }>({ path: '/version', retries: 1, timeoutMs: 10_000 }),
      client.request<{ metadata: { uid: string } }>({ path: '/api/v1/namespaces/kube-system', retries: 3, timeoutMs: 10_000 }).catch((e) => {
        if (e instanceof ApiError && e.status === 403) return undefined;
        throw e;
      }),
    ]);
    facts.version = v.gitVersion;
    facts.clusterId = ks?.metadata.uid;
    facts.reachable = true;
  } catch (e) {
    facts.unreachableReason = e instanceof ApiError && e.status === 401 ? 'credentials rejected (401 Unauthorized)'
      : e instanceof ApiError ? `${e.status} ${e.message}` : e instanceof ConnectError ? e.message : String(e);
    return facts;
  }
  const [denied, certManager, operators, nodes, admission] = await Promise.all([
    deniedPermissions(client, installPermissions(opts.role), opts.namespace),
    client.request<KubeObject>({ path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io' })
      .then((crd) => (managedByUs(crd) ? 'ours' as const : true), () => false),
    findOperators(client).catch(() => 'unknown' as const),
    client.request<{ items: { spec?: { podCIDR?: string; podCIDRs?: string[] } }[] }>({ path: '/api/v1/nodes' }).catch(() => ({ items: [] })),
    opts.release ? dryRunReleasePods(client, renderForCluster(opts.release, opts.role, opts.namespace)) : undefined,
  ]);
  facts.denied = denied.map(describePermission);
  facts.admission = admission;
  facts.certManager = certManager === true;
  facts.certManagerOurs = certManager === 'ours';
  facts.operators = operators;
  for (const n of nodes.items) {
    const cidrs = n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : []);
    if (!cidrs.length) facts.nodesWithoutCidr++;
    facts.podCidrs.push(...cidrs);
  }
  return facts;
}

/** Preflight facts of every cluster, gathered in parallel. */
export async function gatherAll(clusters: Cluster[], roleOf: (c: string) => Role, namespace: string, release?: OperatorRelease): Promise<ClusterFacts[]> {
  return Promise.all(clusters.map((c) => gatherFacts(c, { role: roleOf(c.ctx.name), namespace, release })));
}
