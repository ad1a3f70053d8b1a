import semver from 'semver';
import type { Role } from '../manifests/operator-release.js';
import { cidrsOverlap } from '../util/cidr.js';
import { admissionChecks } from './admission.js';
import { check, type Check } from './catalog.js';
import { describeInstaller, foreignHint } from '../plan/installed-by.js';
import type { ClusterFacts } from './preflight-facts.js';

/** Older is refused: k8ssandra-operator needs it. */
export const MIN_KUBERNETES = '1.25.0';
/** The supported range (README "Supported Kubernetes versions"): the e2e suite runs on the newest, a smoke test on the oldest. */
export const OLDEST_TESTED_KUBERNETES = '1.29';
export const NEWEST_TESTED_KUBERNETES = '1.34';

export interface PreflightPlan {
  controlPlane: string;
  namespace: string;
  operatorVersion: string;
  installCertManager: boolean;
  /** --force: an operator of another version may be replaced (an upgrade or a downgrade the user asked for). */
  allowVersionChange?: boolean;
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
    } else if (semver.lt(v, `${OLDEST_TESTED_KUBERNETES}.0`)) {
      checks.push(check('K8S-VERSION', 'warn', `${context} runs Kubernetes ${f.version}, older than the oldest tested (${OLDEST_TESTED_KUBERNETES})`, { context }));
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
    } else if (op.installedBy && op.installedBy.by !== 'k8ssandra') {
      const message = `${context}: the operator in ${op.namespace} was ${describeInstaller(op.installedBy)}`;
      out.push(plan.allowVersionChange ? check('OPERATOR-OWNER', 'warn', `${message}; taken over (--force)`, { context })
        : check('OPERATOR-OWNER', 'fail', message, { context, hint: foreignHint(op.installedBy, 'install') }));
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

