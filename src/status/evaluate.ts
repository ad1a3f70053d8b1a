// The verdicts of `status`: pure functions from facts to named checks and report sections.
import { check, type Check } from '../checks/catalog.js';
import { OPERATOR_DEPLOYMENT } from '../manifests/operator-release.js';
import { RENEW_WHEN_LEFT } from '../plan/registration.js';
import { noChanges, type ClusterReport, type DatacenterStatus, type K8ssandraClusterReport, type RegistrationReport } from '../report/model.js';
import type { ClientConfigFacts, ContextFacts, StatusFacts } from './facts.js';

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
const DAY = 86_400_000;

const sameServer = (a?: string, b?: string) => !!a && !!b && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The user's context that reaches the cluster a ClientConfig points at: same name first, else same server. */
export function userContextOf(cc: ClientConfigFacts, contexts: ContextFacts[]): ContextFacts | undefined {
  return contexts.find((c) => c.context === cc.contextName) ?? contexts.find((c) => sameServer(c.server, cc.server));
}

const isControlPlane = (c: ContextFacts) => c.reachable && c.operators.some((o) => o.mode === 'control-plane');
const operatorReady = (c: ContextFacts) => c.operators.length > 0 && c.operators.every((o) => o.available && (o.replicas?.desired ?? 1) > 0);
const cassOperatorReady = (c: ContextFacts) => c.cassOperators.length > 0 && c.cassOperators.every((o) => o.available && (o.replicas?.desired ?? 1) > 0);

export function evaluateStatus(facts: StatusFacts): StatusVerdict {
  const { contexts } = facts;
  const checks: Check[] = [];
  const controlPlanes = contexts.filter(isControlPlane);
  const clientConfigs = controlPlanes.flatMap((c) => c.controlPlane?.clientConfigs ?? []);
  const kcFacts = controlPlanes.flatMap((c) => c.controlPlane?.k8ssandraClusters ?? []);
  const registeredAs = new Map<string, ClientConfigFacts>();
  for (const cc of clientConfigs) {
    const u = userContextOf(cc, contexts);
    if (u && !registeredAs.has(u.context)) registeredAs.set(u.context, cc);
  }
  const anyOperator = contexts.some((c) => c.reachable && c.operators.length > 0);
  const members = contexts.filter((c) => facts.explicit || (c.reachable && c.operators.length > 0) || registeredAs.has(c.context)
    // Without a control plane, a cluster that did not answer may be the one that runs it.
    || (!c.reachable && !controlPlanes.length));
  const cpContext = controlPlanes[0]?.context;
  const installHint = (extra?: string) => {
    const dps = [...new Set([...clientConfigs.map((cc) => userContextOf(cc, contexts)?.context ?? cc.contextName), ...(extra ? [extra] : [])])];
    return `k8ssandra install --contexts ${[cpContext ?? 'CONTROL_PLANE', ...dps.filter((d) => d !== cpContext)].join(',')}`;
  };

  // Reachability of every context asked.
  for (const s of facts.skipped) {
    checks.push(check('K8S-REACHABLE', 'warn', `context ${s.context} skipped: ${s.reason}`, { context: s.context }));
  }
  for (const c of contexts) {
    const context = c.context;
    if (c.reachable) {
      checks.push(check('K8S-REACHABLE', 'pass', `${context} answers (${c.kubernetesVersion})`, { context }));
      for (const p of c.readProblems) checks.push(check('K8S-PERMISSIONS', 'warn', `${context}: ${p}`, { context, hint: 'the report is incomplete: run status as a user who may list these objects' }));
      continue;
    }
    const cc = registeredAs.get(context);
    if (cc) {
      checks.push(check('STATUS-DATA-PLANE-UNREACHABLE', 'fail', `data plane ${context} (ClientConfig ${cc.name} in ${cc.controlPlane}) does not answer: ${c.unreachableReason}`,
        { context, hint: `check that the cluster is up and reachable (kubectl get ns --context ${context}); meanwhile the control plane cannot manage its datacenters` }));
    } else if (members.includes(c)) {
      checks.push(check('K8S-REACHABLE', 'fail', `cannot use context ${context}: ${c.unreachableReason}`,
        { context, hint: `check that the cluster is up, the server address is right and the credentials are current (kubectl get ns --context ${context})` }));
    } else {
      checks.push(check('K8S-REACHABLE', 'warn', `context ${context} did not answer, so whether it is part of the installation is unknown: ${c.unreachableReason}`,
        { context, hint: 'pass --contexts to name the clusters of the installation' }));
    }
  }

  // One control plane.
  if (controlPlanes.length > 1) {
    checks.push(check('STATUS-TWO-CONTROL-PLANES', 'fail', `${controlPlanes.map((c) => c.context).join(' and ')} both run the operator as the control plane`,
      { context: controlPlanes[1]!.context, hint: 'only one control plane may manage the installation: reinstall the others as data planes (k8ssandra install --contexts CONTROL_PLANE,...)' }));
  } else if (controlPlanes.length === 1) {
    checks.push(check('STATUS-NO-CONTROL-PLANE', 'pass', `${cpContext} runs the control plane`, { context: cpContext }));
  } else {
    const unanswered = contexts.filter((c) => !c.reachable).map((c) => c.context);
    const dataPlanes = contexts.filter((c) => c.reachable && c.operators.length).map((c) => c.context);
    const where = unanswered.length ? ` (${unanswered.join(', ')} did not answer and may run it)` : '';
    checks.push(anyOperator
      ? check('STATUS-NO-CONTROL-PLANE', 'fail', `${dataPlanes.join(', ')} ${dataPlanes.length === 1 ? 'runs' : 'run'} the operator as data plane, but no cluster checked runs the control plane${where}`,
        { hint: 'name the control plane\'s context in --contexts, or install one: k8ssandra install --contexts CONTROL_PLANE,' + dataPlanes.join(',') })
      : check('STATUS-NO-CONTROL-PLANE', 'fail', `no cluster checked runs k8ssandra-operator${where}`,
        { hint: 'install it: k8ssandra install --contexts CONTROL_PLANE,DATA_PLANE,...' }));
  }

  // Operators, cass-operator and cert-manager in every reachable cluster of the installation.
  for (const c of members.filter((m) => m.reachable)) {
    checks.push(...operatorChecks(c, registeredAs.has(c.context), installHint(c.context)));
  }
  checks.push(...versionSkewChecks(members.filter((m) => m.reachable && m.operators.length), installHint()));
  checks.push(...unregisteredDataPlaneChecks(members, controlPlanes, registeredAs));

  // ClientConfigs: credentials, token lifetime, use.
  const used = new Set(kcFacts.flatMap((k) => k.datacenters.map((d) => `${k.controlPlane}/${d.k8sContext}`)));
  for (const cc of clientConfigs) checks.push(...clientConfigChecks(cc, facts, used, kcFacts.some((k) => k.controlPlane === cc.controlPlane), installHint()));

  // K8ssandraClusters and their datacenters, each read from the cluster that runs it.
  const k8ssandraClusters = kcFacts.map((k) => {
    const datacenters = k.datacenters.map((d) => datacenterReport(k, d, contexts, clientConfigs, checks, installHint));
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

function operatorChecks(c: ContextFacts, registered: boolean, hint: string): Check[] {
  const context = c.context;
  if (!c.operators.length) {
    return [check('STATUS-OPERATOR-NOT-READY', 'fail', `${context}: k8ssandra-operator is not installed${registered ? ', yet a ClientConfig registers this cluster as a data plane' : ''}`,
      { context, hint: `install it: ${hint}` })];
  }
  const out: Check[] = [];
  const problems: string[] = [];
  // What Kubernetes says about a Deployment that is not available (Unschedulable, FailedCreate, ...).
  const reasons = Object.values(c.whyNotAvailable ?? {});
  const why = (ns: string, name?: string) => {
    const r = name ? c.whyNotAvailable?.[`${ns}/${name}`] : undefined;
    return r ? `: ${r.message}` : '';
  };
  for (const o of c.operators) if (!(o.available && (o.replicas?.desired ?? 1) > 0)) problems.push(`k8ssandra-operator in ${o.namespace} ${notAvailable(o.replicas)}${why(o.namespace, OPERATOR_DEPLOYMENT)}`);
  if (!c.cassOperators.length) problems.push('cass-operator is not installed');
  for (const o of c.cassOperators) if (!(o.available && (o.replicas?.desired ?? 1) > 0)) problems.push(`cass-operator in ${o.namespace} ${notAvailable(o.replicas)}${why(o.namespace, o.name)}`);
  const ns = c.operators[0]!.namespace;
  out.push(problems.length
    ? check('STATUS-OPERATOR-NOT-READY', 'fail', `${context}: ${problems.join('; ')}`,
      { context, hint: reasons.length ? reasons[0]!.hint
        : `kubectl --context ${context} -n ${ns} get deployments,pods shows why (scaled down? crash-looping? image not pulled?); ${hint} restores the Deployments` })
    : check('STATUS-OPERATOR-NOT-READY', 'pass', `k8ssandra-operator ${c.operators[0]!.version ?? ''} and cass-operator ${c.cassOperators[0]?.version ?? ''} available`.replace(/ {2,}/g, ' '), { context }));
  out.push(c.certManager === false
    ? check('CERT-MANAGER', 'fail', `${context}: cert-manager is missing: the operators' webhook certificates cannot be issued`, { context, hint: `install cert-manager: ${hint}` })
    : check('CERT-MANAGER', 'pass', 'cert-manager is installed', { context }));
  return out;
}

/**
 * Every cluster that runs the operator in data-plane mode is registered with the control plane: some
 * ClientConfig there names it. A ClientConfig's `spec.contextName` is the name the control plane knows
 * the data plane by, which need not be the user's context name; status has no cluster identity (no
 * kube-system UID is read), so a ClientConfig is matched to the user's context as everywhere in status
 * (`userContextOf`): by context name, else by the API server address its kubeconfig points at.
 */
function unregisteredDataPlaneChecks(members: ContextFacts[], controlPlanes: ContextFacts[], registeredAs: Map<string, ClientConfigFacts>): Check[] {
  if (!controlPlanes.length) return []; // STATUS-NO-CONTROL-PLANE says it
  const cps = controlPlanes.map((c) => c.context).join(', ');
  const unread = controlPlanes.filter((c) => !c.controlPlane || c.controlPlane.clientConfigsUnread).map((c) => c.context);
  const dataPlanes = members.filter((c) => c.reachable && c.operators.length && c.operators.every((o) => o.mode === 'data-plane'));
  return dataPlanes.map((c) => {
    const context = c.context;
    const cc = registeredAs.get(context);
    if (cc) return check('STATUS-DATA-PLANE-UNREGISTERED', 'pass', `${context}: registered with ${cc.controlPlane} (ClientConfig ${cc.name})`, { context });
    if (unread.length) {
      return check('STATUS-DATA-PLANE-UNREGISTERED', 'warn', `${context}: not checked whether a ClientConfig registers it: the ClientConfigs in ${unread.join(', ')} could not be read`,
        { context, hint: 'see the permission finding for the control plane' });
    }
    return check('STATUS-DATA-PLANE-UNREGISTERED', 'fail',
      `${context} runs the operator as a data plane, but no ClientConfig in ${cps} registers it: the control plane cannot create or manage datacenters there`,
      { context, hint: `register it: k8ssandra register --contexts ${controlPlanes[0]!.context},${context}` });
  });
}

function notAvailable(r?: { desired: number; available: number }): string {
  if (!r) return 'is not available';
  return r.desired === 0 ? 'is scaled to 0 replicas' : `is not available (${r.available}/${r.desired} replicas)`;
}

function versionSkewChecks(clusters: ContextFacts[], hint: string): Check[] {
  if (!clusters.length) return [];
  const out: Check[] = [];
  for (const [what, versionsOf] of [
    ['k8ssandra-operator', (c: ContextFacts) => c.operators.map((o) => o.version)],
    ['cass-operator', (c: ContextFacts) => c.cassOperators.map((o) => o.version)],
  ] as const) {
    const byVersion = new Map<string, string[]>();
    for (const c of clusters) for (const v of versionsOf(c)) if (v) byVersion.set(v, [...(byVersion.get(v) ?? []), c.context]);
    if (byVersion.size > 1) {
      const list = [...byVersion].map(([v, cs]) => `${cs.join(', ')} ${v}`).join('; ');
      out.push(check('STATUS-VERSION-SKEW', 'fail', `${what} versions differ between clusters: ${list}`,
        { hint: `run one release everywhere: ${hint} --operator-version VERSION` }));
    } else if (byVersion.size === 1) {
      out.push(check('STATUS-VERSION-SKEW', 'pass', `${what} ${[...byVersion.keys()][0]} in every cluster`));
    }
  }
  return out;
}

function clientConfigChecks(cc: ClientConfigFacts, facts: StatusFacts, used: Set<string>, anyK8ssandraCluster: boolean, hint: string): Check[] {
  const out: Check[] = [];
  const user = userContextOf(cc, facts.contexts);
  const context = user?.context ?? cc.contextName;
  const label = `ClientConfig ${cc.name}`;
  const expired = cc.tokenExpiresAt !== undefined && Date.parse(cc.tokenExpiresAt) <= facts.now;
  switch (cc.credentials) {
    case 'ok':
      out.push(check('STATUS-CLIENTCONFIG-AUTH', 'pass', `${label}: credentials work`, { context }));
      break;
    case 'unreachable':
      if (user?.reachable) {
        out.push(check('STATUS-CLIENTCONFIG-AUTH', 'warn', `${label}: not verified, ${cc.server} does not answer from here: ${cc.problem}`,
          { context, hint: 'fine if that address is reachable only from inside the control-plane cluster; otherwise fix the address (install --api-server)' }));
      } else if (!user) {
        out.push(check('STATUS-DATA-PLANE-UNREACHABLE', 'fail', `data plane ${cc.contextName} (${label} in ${cc.controlPlane}) does not answer: ${cc.problem}`,
          { context, hint: 'check that the cluster is up and that the address in the ClientConfig\'s kubeconfig is right' }));
      } // else: the data plane itself did not answer, reported once above.
      break;
    default:
      out.push(check('STATUS-CLIENTCONFIG-AUTH', 'fail', `${label}: ${expired ? `the token expired on ${cc.tokenExpiresAt}: ` : ''}${cc.problem}`,
        { context, hint: cc.credentials === 'invalid'
          ? `the control-plane operator cannot start with a broken ClientConfig; write it again: ${hint}`
          : `the token was revoked or expired (its service account recreated?): mint a new one with ${hint}` }));
  }
  out.push(tokenCheck(cc, facts.now, context, expired, hint));
  if (!anyK8ssandraCluster) {
    out.push(check('STATUS-CLIENTCONFIG-UNUSED', 'pass', `${label}: no K8ssandraCluster yet`, { context }));
  } else if (!used.has(`${cc.controlPlane}/${cc.contextName}`)) {
    out.push(check('STATUS-CLIENTCONFIG-UNUSED', 'warn', `${label}: no K8ssandraCluster datacenter uses context ${cc.contextName}`,
      { context, hint: `add a datacenter there (k8ssandra add-dc), or remove the ClientConfig and its Secret ${cc.secretName} if the cluster is no longer a data plane` }));
  } else {
    out.push(check('STATUS-CLIENTCONFIG-UNUSED', 'pass', `${label}: used by a K8ssandraCluster`, { context }));
  }
  return out;
}

function tokenCheck(cc: ClientConfigFacts, now: number, context: string, expired: boolean, hint: string): Check {
  const label = `ClientConfig ${cc.name}`;
  if (!cc.tokenExpiresAt) {
    return check('STATUS-TOKEN-EXPIRING', 'pass', `${label}: ${cc.credentials === 'invalid' ? 'no token read' : 'the token does not expire'}`, { context });
  }
  const exp = Date.parse(cc.tokenExpiresAt);
  const date = cc.tokenExpiresAt.slice(0, 10);
  if (expired) {
    return check('STATUS-TOKEN-EXPIRING', 'fail', `${label}: the token expired on ${date}`, { context, hint: `mint a new one: ${hint}` });
  }
  const lifetime = cc.tokenIssuedAt ? exp - Date.parse(cc.tokenIssuedAt) : undefined;
  const left = exp - now;
  if (lifetime ? left < lifetime * RENEW_WHEN_LEFT : left < 7 * DAY) {
    return check('STATUS-TOKEN-EXPIRING', 'warn', `${label}: the token expires on ${date}, in ${describeSpan(left)}`,
      { context, hint: `renew it before then: ${hint} (renews tokens with less than a third of their lifetime left)` });
  }
  return check('STATUS-TOKEN-EXPIRING', 'pass', `${label}: the token expires on ${date}`, { context });
}

function describeSpan(ms: number): string {
  if (ms >= 2 * DAY) return `${Math.floor(ms / DAY)} days`;
  if (ms >= 2 * 3_600_000) return `${Math.floor(ms / 3_600_000)} hours`;
  return `${Math.max(1, Math.floor(ms / 60_000))} minutes`;
}

function datacenterReport(k: { controlPlane: string; namespace: string; name: string }, d: { name: string; k8sContext: string; size: number },
  contexts: ContextFacts[], clientConfigs: ClientConfigFacts[], checks: Check[], installHint: (extra?: string) => string): DatacenterStatus {
  const label = `${k.namespace}/${k.name} dc ${d.name}`;
  const base = { name: d.name, k8sContext: d.k8sContext, size: d.size };
  const unknown = (status: 'warn' | 'fail', why: string, hint: string, context?: string): DatacenterStatus => {
    checks.push(check('STATUS-DC-NOT-READY', status, `${label}: ${why}`, { context, hint }));
    return { ...base, ...(context ? { context } : {}), progress: 'Unknown', ready: false, problem: why };
  };
  let cluster: ContextFacts | undefined;
  if (!d.k8sContext) {
    cluster = contexts.find((c) => c.context === k.controlPlane);
  } else {
    const cc = clientConfigs.find((c) => c.controlPlane === k.controlPlane && c.contextName === d.k8sContext);
    if (!cc) {
      return unknown('fail', `no ClientConfig registers context ${d.k8sContext}, so the control plane cannot create the datacenter`, `register it: ${installHint(d.k8sContext)}`);
    }
    cluster = userContextOf(cc, contexts);
    if (!cluster) {
      return unknown('warn', `not checked: no context given reaches ${d.k8sContext}`, `add ${d.k8sContext}'s context to --contexts (or to the kubeconfig)`);
    }
  }
  const context = cluster!.context;
  if (!cluster!.reachable) return unknown('warn', `not checked: ${context} does not answer`, 'see the reachability finding for the cluster', context);
  if (!cluster!.datacenters) return unknown('warn', `not checked: CassandraDatacenters in ${context} could not be read`, 'see the permission finding for the cluster', context);
  const dc = cluster!.datacenters.find((x) => x.namespace === k.namespace && x.name === d.name);
  if (!dc) {
    checks.push(check('STATUS-DC-NOT-READY', 'fail', `${label}: no CassandraDatacenter ${d.name} in ${context} yet`, { context,
      hint: `the control-plane operator creates it: see the K8ssandraCluster's status (kubectl --context ${k.controlPlane} -n ${k.namespace} describe k8ssandracluster ${k.name}) and the operator's log` }));
    return { ...base, context, progress: 'NotCreated', ready: false, problem: 'not created yet' };
  }
  const nodesOk = dc.readyNodes === undefined || dc.readyNodes >= dc.size;
  const ready = dc.progress === 'Ready' && dc.readyCondition && nodesOk;
  const nodes = dc.readyNodes === undefined ? '' : `, ${dc.readyNodes}/${dc.size} nodes ready`;
  const state = `${dc.progress ?? 'no progress reported'}${dc.readyCondition ? '' : ', condition Ready not True'}${nodes}`;
  checks.push(ready
    ? check('STATUS-DC-NOT-READY', 'pass', `${label} in ${context}: Ready${nodes}`, { context })
    : check('STATUS-DC-NOT-READY', 'fail', `${label} in ${context}: ${state}`, { context,
      hint: `kubectl --context ${context} -n ${k.namespace} describe cassandradatacenter ${d.name} (and its pods) shows what it waits for` }));
  return { ...base, size: dc.size || d.size, context, readyNodes: dc.readyNodes, progress: dc.progress ?? 'Unknown', ready,
    ...(ready ? {} : { problem: state }) };
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
  };
}

function registrationReport(cc: ClientConfigFacts, contexts: ContextFacts[], used: Set<string>): RegistrationReport {
  const user = userContextOf(cc, contexts);
  return {
    context: cc.contextName, clientConfig: cc.name, secret: cc.secretName, serviceAccount: cc.serviceAccount ?? '', server: cc.server ?? '',
    verified: cc.credentials === 'ok', action: 'unchanged', ...(cc.tokenExpiresAt ? { tokenExpiresAt: cc.tokenExpiresAt } : {}),
    controlPlane: cc.controlPlane, namespace: cc.namespace, ...(user ? { userContext: user.context } : {}),
    used: used.has(`${cc.controlPlane}/${cc.contextName}`), ...(cc.problem ? { problem: cc.problem } : {}),
  };
}

function summarize(ok: boolean, fails: Check[], clusters: ClusterReport[], kcs: K8ssandraClusterReport[]): string {
  const dcs = kcs.flatMap((k) => k.datacenters);
  const shape = `${clusters.length} cluster(s), ${kcs.length} K8ssandraCluster(s), ${dcs.filter((d) => d.ready).length}/${dcs.length} datacenter(s) ready`;
  if (ok) return `healthy: ${shape}`;
  return `${fails.length} problem(s): ${fails[0]!.message}${fails.length > 1 ? ` (and ${fails.length - 1} more)` : ''}; ${shape}`;
}
