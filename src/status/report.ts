// The verdict of `status`: the findings (findings.ts) in report order, and the report's sections
// (clusters, registrations, K8ssandraClusters, summary) built from the same facts. Pure.
import type { Check } from '../checks/catalog.js';
import { noChanges, type ClusterReport, type K8ssandraClusterReport, type RegistrationReport } from '../report/model.js';
import type { ClientConfigFacts, ContextFacts, StatusFacts } from './facts.js';
import {
  clientConfigFindings, controlPlaneFinding, datacenterFinding, decommissionFindings, installation, moveFinding, operatorFindings, reachabilityFindings,
  unregisteredDataPlaneFindings, userContextOf, versionSkewFindings,
} from './findings.js';

export interface StatusVerdict {
  checks: Check[];
  clusters: ClusterReport[];
  registrations: RegistrationReport[];
  k8ssandraClusters: K8ssandraClusterReport[];
  ok: boolean;
  /** The exit code when not ok: unreachable when a cluster of the installation did not answer. */
  failExit?: 'notReady' | 'unreachable';
  summary: string;
  requests: number;
}

/** Checks whose failure means a cluster could not be reached (exit code `unreachable`). */
const REACHABILITY = new Set(['K8S-REACHABLE', 'STATUS-DATA-PLANE-UNREACHABLE']);

const operatorReady = (c: ContextFacts) => c.operators.length > 0 && c.operators.every((o) => o.available && (o.replicas?.desired ?? 1) > 0);
const cassOperatorReady = (c: ContextFacts) => c.cassOperators.length > 0 && c.cassOperators.every((o) => o.available && (o.replicas?.desired ?? 1) > 0);

export function evaluateStatus(facts: StatusFacts): StatusVerdict {
  const inst = installation(facts);
  const { contexts } = facts;
  const { members, registeredAs, clientConfigs, used, installHint } = inst;
  // Reachability of every context asked, then the one control plane.
  const checks: Check[] = [...reachabilityFindings(inst), controlPlaneFinding(inst), ...moveFinding(inst)];
  // Operators, cass-operator and cert-manager in every reachable cluster of the installation.
  for (const c of members.filter((m) => m.reachable)) checks.push(...operatorFindings(c, registeredAs.has(c.context), installHint(c.context)));
  checks.push(...versionSkewFindings(members.filter((m) => m.reachable && m.operators.length), installHint()));
  checks.push(...unregisteredDataPlaneFindings(inst));
  // ClientConfigs: credentials, token lifetime, use.
  for (const cc of clientConfigs) checks.push(...clientConfigFindings(cc, inst));
  // K8ssandraClusters and their datacenters, each read from the cluster that runs it.
  const k8ssandraClusters = inst.k8ssandraClusters.map((k) => {
    const datacenters = k.datacenters.map((d) => {
      const f = datacenterFinding(k, d, inst);
      checks.push(f.check);
      return f.datacenter;
    });
    checks.push(...decommissionFindings(k));
    return { name: k.name, namespace: k.namespace, controlPlane: k.controlPlane, ready: datacenters.every((d) => d.ready),
      ...(k.error ? { error: k.error } : {}), datacenters };
  });

  const clusters = members.map((c) => clusterReport(c, registeredAs.has(c.context)));
  const registrations = clientConfigs.map((cc) => registrationReport(cc, contexts, used));
  const fails = checks.filter((c) => c.status === 'fail');
  const ok = fails.length === 0;
  const requests = contexts.reduce((n, c) => n + c.requests, 0) + clientConfigs.reduce((n, cc) => n + cc.requests, 0);
  return {
    checks, clusters, registrations, k8ssandraClusters, ok, requests,
    ...(ok ? {} : { failExit: fails.some((c) => REACHABILITY.has(c.id)) ? 'unreachable' as const : 'notReady' as const }),
    summary: summarize(ok, fails, clusters, k8ssandraClusters),
  };
}

function clusterReport(c: ContextFacts, registered: boolean): ClusterReport {
  const role: ClusterReport['role'] = c.operators.some((o) => o.mode === 'control-plane') ? 'control-plane'
    : c.operators.length ? 'data-plane' : !c.reachable ? (registered ? 'data-plane' : 'unknown') : 'none';
  const opReady = c.reachable && operatorReady(c);
  const cassReady = c.reachable && cassOperatorReady(c);
  return {
    context: c.context, role, server: c.server, namespace: c.operators[0]?.namespace ?? '', kubernetesVersion: c.kubernetesVersion,
    operatorVersion: c.operators[0]?.version, cassOperatorVersion: c.cassOperators[0]?.version,
    certManager: c.certManager === undefined ? undefined : c.certManager ? 'present' : 'missing',
    ready: opReady && cassReady && c.certManager !== false, changes: noChanges(), objects: [], elapsedMs: c.elapsedMs,
    reachable: c.reachable, ...(c.unreachableReason ? { unreachableReason: c.unreachableReason } : {}),
    operatorReady: opReady, cassOperatorReady: cassReady, requests: c.requests, ...(c.installRecord ? { installRecord: c.installRecord } : {}),
    ...(c.locks ? { locks: c.locks } : {}),
  };
}

function registrationReport(cc: ClientConfigFacts, contexts: ContextFacts[], used: Set<string>): RegistrationReport {
  const user = userContextOf(cc, contexts);
  return {
    context: cc.contextName, clientConfig: cc.name, secret: cc.secretName, serviceAccount: cc.serviceAccount ?? '', server: cc.server ?? '',
    verified: cc.credentials === 'ok', action: 'unchanged', ...(cc.tokenExpiresAt ? { tokenExpiresAt: cc.tokenExpiresAt } : {}),
    ...credentialOf(cc),
    controlPlane: cc.controlPlane, namespace: cc.namespace, ...(user ? { userContext: user.context } : {}),
    used: used.has(`${cc.controlPlane}/${cc.contextName}`), ...(cc.problem ? { problem: cc.problem } : {}),
  };
}

function summarize(ok: boolean, fails: Check[], clusters: ClusterReport[], kcs: K8ssandraClusterReport[]): string {
  const dcs = kcs.flatMap((k) => k.datacenters);
  const shape = `${clusters.length} cluster(s), ${kcs.length} K8ssandraCluster(s), ${dcs.filter((d) => d.ready).length}/${dcs.length} datacenter(s) ready`;
  if (ok) return `healthy: ${shape}`;
  // The failures are listed with their messages (Checks): the summary names them, it does not say them again.
  const named = fails.map((c) => (c.context ? `${c.id} ${c.context}` : c.id));
  return `${fails.length} problem(s) (${named.slice(0, 3).join(', ')}${named.length > 3 ? ', ...' : ''}); ${shape}`;
}

/** What a stored credential is: a bounded token (with its lifetime) or a token Secret's, which does not expire. */
function credentialOf(cc: ClientConfigFacts): Pick<RegistrationReport, 'credential' | 'tokenLifetimeGrantedSeconds'> {
  if (cc.credentials === 'invalid') return {};
  if (!cc.tokenExpiresAt) return { credential: 'secret' };
  return { credential: 'token',
    ...(cc.tokenIssuedAt ? { tokenLifetimeGrantedSeconds: Math.round((Date.parse(cc.tokenExpiresAt) - Date.parse(cc.tokenIssuedAt)) / 1000) } : {}) };
}
