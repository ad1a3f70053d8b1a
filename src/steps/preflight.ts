import pLimit from 'p-limit';
import semver from 'semver';
import { admissionChecks, dryRunReleasePods, type AdmissionOutcome } from '../checks/admission.js';
import { check, type Check } from '../checks/catalog.js';
import { ApiError, ConnectError, type KubeClient } from '../kube/client.js';
import { managedByUs, type KubeObject } from '../kube/resources.js';
import { CONTROL_PLANE_ENV, OPERATOR_DEPLOYMENT, renderForCluster, type OperatorRelease, type Role } from '../manifests/operator-release.js';
import { cidrsOverlap } from '../util/cidr.js';
import { deploymentAvailable, deploymentReplicas } from './apply.js';
import type { Cluster } from './connect.js';

export const MIN_KUBERNETES = '1.25.0';
export const NEWEST_TESTED_KUBERNETES = '1.34';

export interface ExistingOperator {
  namespace: string;
  mode: Role;
  version?: string;
  clusterScoped?: boolean;
  available?: boolean;
  replicas?: { desired: number; available: number };
}

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

export interface Permission { verb: string; group: string; resource: string; namespaced: boolean; subresource?: string }

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
    ...(role === 'control-plane'
      ? ns('config.k8ssandra.io', 'clientconfigs')
      : [{ verb: 'create', group: '', resource: 'serviceaccounts', subresource: 'token', namespaced: true }]),
  ];
}

export async function selfAccessReview(client: KubeClient, p: Permission, namespace: string): Promise<boolean> {
  const r = await client.request<{ status: { allowed: boolean } }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', idempotent: true, // persists nothing
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: p.verb, group: p.group, resource: p.resource, subresource: p.subresource, namespace: p.namespaced ? namespace : undefined } } },
  });
  return r.status.allowed;
}

interface ResourceRule { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }

/** Whether the rules of a SelfSubjectRulesReview grant a permission outright (wildcards included). */
export function rulesGrant(rules: ResourceRule[], p: Permission): boolean {
  const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
  return rules.some((r) => !r.resourceNames?.length
    && (r.verbs.includes('*') || r.verbs.includes(p.verb))
    && (r.apiGroups ?? []).some((g) => g === '*' || g === p.group)
    && (r.resources ?? []).some((x) => x === '*' || x === resource || (p.subresource && x === `${p.resource}/*`)));
}

/**
 * The permissions the user lacks. One SelfSubjectRulesReview settles most (one request instead of
 * dozens); whatever it does not grant outright is asked one by one, since rules reviews can be
 * incomplete (webhook authorizers such as EKS's).
 */
async function deniedPermissions(client: KubeClient, perms: Permission[], namespace: string): Promise<Permission[]> {
  const review = await client.request<{ status: { resourceRules?: ResourceRule[] } }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
  }).catch(() => ({ status: { resourceRules: [] } }));
  const unsure = perms.filter((p) => !rulesGrant(review.status.resourceRules ?? [], p));
  const limit = pLimit(8);
  const allowed = await Promise.all(unsure.map((p) => limit(() => selfAccessReview(client, p, namespace))));
  return unsure.filter((_, i) => !allowed[i]);
}

const describePermission = (p: Permission) =>
  `${p.verb} ${p.resource}${p.subresource ? '/' + p.subresource : ''}${p.group ? '.' + p.group : ''}`;

/** Reads everything preflight needs from one cluster; a cluster that cannot be reached yields `reachable: false`. */
export async function gatherFacts(cluster: Cluster, opts: { role: Role; namespace: string; release?: OperatorRelease }): Promise<ClusterFacts> {
  const { client } = cluster;
  const facts: ClusterFacts = { context: cluster.ctx.name, server: cluster.ctx.server, reachable: false, denied: [], certManager: false, operators: 'unknown', podCidrs: [], nodesWithoutCidr: 0 };
  try {
    const v = await client.request<{ gitVersion: string }>({ path: '/version', retries: 1, timeoutMs: 10_000 });
    facts.version = v.gitVersion;
    // /version answers anyone; reading kube-system proves the credentials and identifies the cluster.
    const ks = await client.request<{ metadata: { uid: string } }>({ path: '/api/v1/namespaces/kube-system' }).catch((e) => {
      if (e instanceof ApiError && e.status === 403) return undefined;
      throw e;
    });
    facts.clusterId = ks?.metadata.uid;
    facts.reachable = true;
  } catch (e) {
    facts.unreachableReason = e instanceof ApiError && e.status === 401 ? 'credentials rejected (401 Unauthorized)'
      : e instanceof ApiError ? `${e.status} ${e.message}` : e instanceof ConnectError ? e.message : String(e);
    return facts;
  }
  const perms = installPermissions(opts.role);
  facts.denied = (await deniedPermissions(client, perms, opts.namespace)).map(describePermission);
  const [certManager, operators, nodes, admission] = await Promise.all([
    client.request<KubeObject>({ path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/certificates.cert-manager.io' })
      .then((crd) => (managedByUs(crd) ? 'ours' as const : true), () => false),
    findOperators(client).catch(() => 'unknown' as const),
    client.request<{ items: { spec?: { podCIDR?: string; podCIDRs?: string[] } }[] }>({ path: '/api/v1/nodes' }).catch(() => ({ items: [] })),
    opts.release ? dryRunReleasePods(client, renderForCluster(opts.release, opts.role, opts.namespace)) : undefined,
  ]);
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

/** Operator installs found in any namespace, with the mode their env says and whether they are available. */
export async function findOperators(client: KubeClient): Promise<ExistingOperator[]> {
  const list = await client.request<{ items: any[] }>({ path: '/apis/apps/v1/deployments', query: { labelSelector: `control-plane=${OPERATOR_DEPLOYMENT}` } });
  return list.items.filter((d) => d.metadata.name === OPERATOR_DEPLOYMENT).map((d) => {
    const c = d.spec.template.spec.containers[0];
    const env = (c.env ?? []).find((e: { name: string }) => e.name === CONTROL_PLANE_ENV);
    // Without a WATCH_NAMESPACE value (the cluster-scoped variant sets it empty) the operator watches all namespaces.
    const watch = (c.env ?? []).find((e: { name: string }) => e.name === 'WATCH_NAMESPACE');
    return { namespace: d.metadata.namespace, mode: env?.value === 'true' ? 'control-plane' : 'data-plane',
      version: imageTag(d), available: deploymentAvailable(d), replicas: deploymentReplicas(d), clusterScoped: !watch?.value && !watch?.valueFrom };
  });
}

/** The tag of a Deployment's first container image (its version, for release images). */
export function imageTag(d: any): string | undefined {
  const image: string = (d.spec?.template?.spec?.containers?.[0]?.image ?? '').split('@')[0];
  const tag = image.slice(image.lastIndexOf(':') + 1);
  return image.includes(':') && !tag.includes('/') ? tag : undefined;
}

export interface PreflightPlan {
  controlPlane: string;
  namespace: string;
  operatorVersion: string;
  installCertManager: boolean;
  /** --force: an operator of another version may be replaced (an upgrade or a downgrade the user asked for). */
  allowVersionChange?: boolean;
  /** The release to install: its pods are dry-run (POD-ADMISSION). */
  release?: OperatorRelease;
}

/** The verdicts: one named check per finding, pass, warn or fail, each failure with a hint. */
export function evaluatePreflight(all: ClusterFacts[], plan: PreflightPlan): Check[] {
  const checks: Check[] = [];
  for (const f of all) {
    const context = f.context;
    if (!f.reachable) {
      checks.push(check('K8S-REACHABLE', 'fail', `cannot use context ${context}: ${f.unreachableReason}`, { context,
        hint: 'check that the cluster is up, the server address is right and the credentials are current (kubectl get ns --context ' + context + ')' }));
      continue;
    }
    checks.push(check('K8S-REACHABLE', 'pass', `${context} answers (${f.version})`, { context }));
    const v = semver.coerce(f.version);
    if (!v || semver.lt(v, MIN_KUBERNETES)) {
      checks.push(check('K8S-VERSION', 'fail', `${context} runs Kubernetes ${f.version}; k8ssandra-operator needs ${MIN_KUBERNETES} or newer`, { context, hint: 'upgrade the cluster' }));
    } else if (semver.gt(v, `${NEWEST_TESTED_KUBERNETES}.999`)) {
      checks.push(check('K8S-VERSION', 'warn', `${context} runs Kubernetes ${f.version}, newer than the newest tested (${NEWEST_TESTED_KUBERNETES})`, { context }));
    } else {
      checks.push(check('K8S-VERSION', 'pass', `Kubernetes ${f.version}`, { context }));
    }
    checks.push(f.denied.length
      ? check('K8S-PERMISSIONS', 'fail', `${context}: not allowed to ${f.denied.slice(0, 3).join(', ')}${f.denied.length > 3 ? ` and ${f.denied.length - 3} more` : ''}`,
        { context, hint: 'run as a user with cluster-admin, or grant the permissions listed in README "Permissions"' })
      : check('K8S-PERMISSIONS', 'pass', 'all permissions the install needs are granted', { context }));
    checks.push(f.certManager || (f.certManagerOurs && !plan.installCertManager)
      ? check('CERT-MANAGER', 'pass', 'cert-manager is installed', { context })
      : f.certManagerOurs
        ? check('CERT-MANAGER', 'pass', 'cert-manager was installed by k8ssandra: applied again, so that an interrupted install is completed', { context })
      : plan.installCertManager
        ? check('CERT-MANAGER', 'pass', 'cert-manager is missing and will be installed', { context })
        : check('CERT-MANAGER', 'fail', `cert-manager is not installed in ${context}`, { context, hint: 'drop --skip-cert-manager to let k8ssandra install it' }));
    checks.push(...existingOperatorChecks(f, plan));
    if (f.admission) checks.push(...admissionChecks(context, f.admission));
  }
  checks.push(...sameClusterChecks(all), ...podCidrChecks(all));
  return checks;
}

function existingOperatorChecks(f: ClusterFacts, plan: PreflightPlan): Check[] {
  const context = f.context;
  const role: Role = context === plan.controlPlane ? 'control-plane' : 'data-plane';
  if (f.operators === 'unknown') return [check('OPERATOR-EXISTING', 'warn', `could not list Deployments in ${context} to find existing installs`, { context })];
  if (!f.operators.length) return [check('OPERATOR-EXISTING', 'pass', 'no operator installed yet', { context })];
  const out: Check[] = [];
  for (const op of f.operators) {
    if (op.namespace !== plan.namespace) {
      out.push(check('OPERATOR-EXISTING', 'fail', `${context} already runs k8ssandra-operator in namespace ${op.namespace}`,
        { context, hint: `use --namespace ${op.namespace}, or uninstall that copy first` }));
    } else if (op.mode !== role) {
      out.push(check('OPERATOR-EXISTING', 'fail', `${context} already runs the operator as ${op.mode}, not ${role}`,
        { context, hint: op.mode === 'control-plane' ? `a second control plane is refused: use --control-plane ${context}, or uninstall it first` : 'uninstall it first (k8ssandra uninstall) or choose another --control-plane' }));
    } else if (op.version && op.version !== plan.operatorVersion) {
      out.push(plan.allowVersionChange
        ? check('OPERATOR-EXISTING', 'warn', `${context} runs operator ${op.version}; it will be changed to ${plan.operatorVersion} (--force)`, { context })
        : check('OPERATOR-EXISTING', 'fail', `${context} already runs operator ${op.version}, not ${plan.operatorVersion}`,
          { context, hint: `pass --operator-version ${op.version} (with its manifests) to keep it, or --force to change it to ${plan.operatorVersion}` }));
    } else {
      out.push(check('OPERATOR-EXISTING', 'pass', `operator ${op.version ?? ''} already installed as ${role}`.replace('  ', ' '), { context }));
    }
  }
  return out;
}

function sameClusterChecks(all: ClusterFacts[]): Check[] {
  const byId = new Map<string, string[]>();
  // The kube-system UID identifies a cluster; without read access to it, the server address has to do.
  for (const f of all) {
    if (!f.reachable) continue;
    const id = f.clusterId ?? `server ${f.server}`;
    byId.set(id, [...(byId.get(id) ?? []), f.context]);
  }
  const dups = [...byId.values()].filter((c) => c.length > 1);
  if (!dups.length) return [check('K8S-SAME-CLUSTER', 'pass', 'every context is a different cluster')];
  return dups.map((c) => check('K8S-SAME-CLUSTER', 'fail', `contexts ${c.join(' and ')} point at the same cluster`,
    { context: c[1], hint: 'name each cluster once; to host a datacenter in the control-plane cluster, use its own context' }));
}

export interface CidrOverlap { a: string; cidrA: string; b: string; cidrB: string }

/** Pod CIDRs (from the nodes' spec) that two different clusters share, each pair of ranges once. */
export function overlappingPodCidrs(all: Pick<ClusterFacts, 'context' | 'reachable' | 'clusterId' | 'podCidrs'>[]): CidrOverlap[] {
  const out: CidrOverlap[] = [];
  const reachable = all.filter((f) => f.reachable);
  for (let i = 0; i < reachable.length; i++) {
    for (let j = i + 1; j < reachable.length; j++) {
      const a = reachable[i]!, b = reachable[j]!;
      if (a.clusterId && a.clusterId === b.clusterId) continue;
      for (const cidrA of a.podCidrs) for (const cidrB of b.podCidrs) {
        if (cidrsOverlap(cidrA, cidrB)) out.push({ a: a.context, cidrA, b: b.context, cidrB });
      }
    }
  }
  return out;
}

function podCidrChecks(all: ClusterFacts[]): Check[] {
  const out: Check[] = [];
  const reachable = all.filter((f) => f.reachable);
  for (const f of reachable) {
    if (!f.podCidrs.length) out.push(check('POD-CIDR-OVERLAP', 'warn', `${f.context}: nodes have no spec.podCIDR, pod ranges cannot be compared`,
      { context: f.context, hint: 'with a CNI that takes pod IPs from the VPC, check the subnets yourself' }));
    else if (f.nodesWithoutCidr) out.push(check('POD-CIDR-OVERLAP', 'warn', `${f.context}: ${f.nodesWithoutCidr} node(s) have no spec.podCIDR, their pod ranges cannot be compared`,
      { context: f.context, hint: 'the routability probe still tests real pod IPs; check those nodes\' pod ranges yourself' }));
  }
  for (const o of overlappingPodCidrs(all)) {
    out.push(check('POD-CIDR-OVERLAP', 'fail', `pod CIDRs overlap: ${o.a} ${o.cidrA} and ${o.b} ${o.cidrB}`,
      { context: o.b, hint: 'pods with the same IPs in two clusters cannot reach each other: give each cluster its own pod range' }));
  }
  if (!out.some((c) => c.status === 'fail') && reachable.length > 1) out.push(check('POD-CIDR-OVERLAP', 'pass', 'no pod CIDRs overlap'));
  return out;
}

/** Preflight facts of every cluster, gathered in parallel. */
export async function gatherAll(clusters: Cluster[], roleOf: (c: string) => Role, namespace: string, release?: OperatorRelease): Promise<ClusterFacts[]> {
  return Promise.all(clusters.map((c) => gatherFacts(c, { role: roleOf(c.ctx.name), namespace, release })));
}
