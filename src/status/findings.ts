// The findings of `status`: each STATUS-* finding is a small pure function from the facts (and the
// view of the installation they share) to named checks. report.ts puts them in order.
import { check, type Check } from '../checks/catalog.js';
import { OPERATOR_DEPLOYMENT } from '../manifests/operator-release.js';
import { describeInstaller, foreignHint } from '../plan/installed-by.js';
import { RENEW_WHEN_LEFT } from '../registration/objects.js';
import type { DatacenterStatus } from '../report/model.js';
import type { ClientConfigFacts, ContextFacts, K8ssandraClusterFacts, StatusFacts } from './facts.js';

const DAY = 86_400_000;

const sameServer = (a?: string, b?: string) => !!a && !!b && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The user's context that reaches the cluster a ClientConfig points at: same name first, else same server. */
export function userContextOf(cc: ClientConfigFacts, contexts: ContextFacts[]): ContextFacts | undefined {
  return contexts.find((c) => c.context === cc.contextName) ?? contexts.find((c) => sameServer(c.server, cc.server));
}

const isControlPlane = (c: ContextFacts) => c.reachable && c.operators.some((o) => o.mode === 'control-plane');

/** The installation as every finding sees it: its control planes, registrations and member clusters. */
export interface Installation {
  facts: StatusFacts;
  controlPlanes: ContextFacts[];
  clientConfigs: ClientConfigFacts[];
  k8ssandraClusters: K8ssandraClusterFacts[];
  /** The ClientConfig that registers each user context (by context name, else by server). */
  registeredAs: Map<string, ClientConfigFacts>;
  /** The contexts that belong to the installation (see `installation`). */
  members: ContextFacts[];
  /** `controlPlane/contextName` of every datacenter some K8ssandraCluster has. */
  used: Set<string>;
  /** The install command that covers the installation (and `extra`), for hints. */
  installHint: (extra?: string) => string;
}

export function installation(facts: StatusFacts): Installation {
  const { contexts } = facts;
  const controlPlanes = contexts.filter(isControlPlane);
  const clientConfigs = controlPlanes.flatMap((c) => c.controlPlane?.clientConfigs ?? []);
  const k8ssandraClusters = controlPlanes.flatMap((c) => c.controlPlane?.k8ssandraClusters ?? []);
  const registeredAs = new Map<string, ClientConfigFacts>();
  for (const cc of clientConfigs) {
    const u = userContextOf(cc, contexts);
    if (u && !registeredAs.has(u.context)) registeredAs.set(u.context, cc);
  }
  const members = contexts.filter((c) => facts.explicit || (c.reachable && c.operators.length > 0) || registeredAs.has(c.context)
    // Without a control plane, a cluster that did not answer may be the one that runs it.
    || (!c.reachable && !controlPlanes.length));
  const cpContext = controlPlanes[0]?.context;
  const installHint = (extra?: string) => {
    const dps = [...new Set([...clientConfigs.map((cc) => userContextOf(cc, contexts)?.context ?? cc.contextName), ...(extra ? [extra] : [])])];
    return `k8ssandra install --contexts ${[cpContext ?? 'CONTROL_PLANE', ...dps.filter((d) => d !== cpContext)].join(',')}`;
  };
  // A datacenter being decommissioned still uses its context until the operator is done with it.
  const used = new Set(k8ssandraClusters.flatMap((k) => [...k.datacenters.map((d) => d.k8sContext), ...(k.decommissions ?? []).map((d) => d.context)]
    .map((c) => `${k.controlPlane}/${c}`)));
  return { facts, controlPlanes, clientConfigs, k8ssandraClusters, registeredAs, members, used, installHint };
}

/** K8S-REACHABLE of every context asked (skipped ones too), STATUS-DATA-PLANE-UNREACHABLE, and K8S-PERMISSIONS for lists that failed. */
export function reachabilityFindings(inst: Installation): Check[] {
  const checks: Check[] = [];
  for (const s of inst.facts.skipped) {
    checks.push(check('K8S-REACHABLE', 'warn', `context ${s.context} skipped: ${s.reason}`, { context: s.context }));
  }
  for (const c of inst.facts.contexts) {
    const context = c.context;
    if (c.reachable) {
      checks.push(check('K8S-REACHABLE', 'pass', `${context} answers (${c.kubernetesVersion})`, { context }));
      for (const p of c.readProblems) checks.push(check('K8S-PERMISSIONS', 'warn', `${context}: ${p}`, { context, hint: 'the report is incomplete: run status as a user who may list these objects' }));
      continue;
    }
    const cc = inst.registeredAs.get(context);
    if (cc) {
      checks.push(check('STATUS-DATA-PLANE-UNREACHABLE', 'fail', `data plane ${context} (ClientConfig ${cc.name} in ${cc.controlPlane}) does not answer: ${c.unreachableReason}`,
        { context, hint: `check that the cluster is up and reachable (kubectl get ns --context ${context}); meanwhile the control plane cannot manage its datacenters` }));
    } else if (inst.members.includes(c)) {
      checks.push(check('K8S-REACHABLE', 'fail', `cannot use context ${context}: ${c.unreachableReason}`,
        { context, hint: `check that the cluster is up, the server address is right and the credentials are current (kubectl get ns --context ${context})` }));
    } else {
      checks.push(check('K8S-REACHABLE', 'warn', `context ${context} did not answer, so whether it is part of the installation is unknown: ${c.unreachableReason}`,
        { context, hint: 'pass --contexts to name the clusters of the installation' }));
    }
  }
  return checks;
}

/** The move of the control plane that an install record says is under way (move-control-plane writes it on both clusters). */
export function moveUnderWay(contexts: ContextFacts[]): { from: string; to: string } | undefined {
  const r = contexts.map((c) => c.installRecord).find((x) => x?.movingFrom && x.movingTo);
  return r ? { from: r.movingFrom!, to: r.movingTo! } : undefined;
}

/**
 * STATUS-CONTROL-PLANE-MOVE: a move that has not finished (a run killed or still running) is reported
 * as what it is, half-moved, with the command that finishes it; nothing when no record says so.
 */
export function moveFinding(inst: Installation): Check[] {
  const move = moveUnderWay(inst.facts.contexts);
  if (!move) return [];
  const mode = (ctx: string) => {
    const c = inst.facts.contexts.find((x) => x.context === ctx);
    return !c ? 'not checked' : !c.reachable ? 'does not answer' : c.operators[0]?.mode ?? 'no operator';
  };
  const state = `${move.from}: ${mode(move.from)}, ${move.to}: ${mode(move.to)}`;
  const where = inst.controlPlanes.length === 0 ? 'between the switches (neither runs the control plane; no datacenter is changed meanwhile)'
    : inst.controlPlanes[0]!.context === move.from ? `${move.from} still runs the control plane; copies may be in ${move.to}`
      : `${move.to} runs the control plane; ${move.from} may still hold copies`;
  return [check('STATUS-CONTROL-PLANE-MOVE', 'warn', `the control plane is moving from ${move.from} to ${move.to}, half-moved: ${where} (${state})`,
    { hint: `if no move is running, finish it: k8ssandra move-control-plane --from ${move.from} --to ${move.to}` })];
}

/** STATUS-TWO-CONTROL-PLANES, else STATUS-NO-CONTROL-PLANE: exactly one cluster runs the control plane. */
export function controlPlaneFinding(inst: Installation): Check {
  const { controlPlanes, facts: { contexts } } = inst;
  const move = moveUnderWay(contexts);
  if (move && controlPlanes.length === 0) {
    return check('STATUS-NO-CONTROL-PLANE', 'warn', `no cluster runs the control plane while it moves from ${move.from} to ${move.to}`,
      { hint: `if no move is running, finish it: k8ssandra move-control-plane --from ${move.from} --to ${move.to}` });
  }
  if (controlPlanes.length > 1) {
    return check('STATUS-TWO-CONTROL-PLANES', 'fail', `${controlPlanes.map((c) => c.context).join(' and ')} both run the operator as the control plane`,
      { context: controlPlanes[1]!.context, hint: 'only one control plane may manage the installation: reinstall the others as data planes (k8ssandra install --contexts CONTROL_PLANE,...)' });
  }
  if (controlPlanes.length === 1) {
    const cpContext = controlPlanes[0]!.context;
    return check('STATUS-NO-CONTROL-PLANE', 'pass', `${cpContext} runs the control plane`, { context: cpContext });
  }
  const anyOperator = contexts.some((c) => c.reachable && c.operators.length > 0);
  const unanswered = contexts.filter((c) => !c.reachable).map((c) => c.context);
  const dataPlanes = contexts.filter((c) => c.reachable && c.operators.length).map((c) => c.context);
  const where = unanswered.length ? ` (${unanswered.join(', ')} did not answer and may run it)` : '';
  return anyOperator
    ? check('STATUS-NO-CONTROL-PLANE', 'fail', `${dataPlanes.join(', ')} ${dataPlanes.length === 1 ? 'runs' : 'run'} the operator as data plane, but no cluster checked runs the control plane${where}`,
      { hint: 'name the control plane\'s context in --contexts, or install one: k8ssandra install --contexts CONTROL_PLANE,' + dataPlanes.join(',') })
    : check('STATUS-NO-CONTROL-PLANE', 'fail', `no cluster checked runs k8ssandra-operator${where}`,
      { hint: 'install it: k8ssandra install --contexts CONTROL_PLANE,DATA_PLANE,...' });
}

/** STATUS-OPERATOR-NOT-READY and CERT-MANAGER of one reachable cluster of the installation. */
export function operatorFindings(c: ContextFacts, registered: boolean, hint: string): Check[] {
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
  for (const o of c.operators.filter((x) => x.installedBy && x.installedBy.by !== 'k8ssandra')) {
    out.push(check('OPERATOR-OWNER', 'warn', `${context}: the operator in ${o.namespace} was ${describeInstaller(o.installedBy!)}`,
      { context, hint: foreignHint(o.installedBy!, 'upgrade') }));
  }
  out.push(c.certManager === false
    ? check('CERT-MANAGER', 'fail', `${context}: cert-manager is missing: the operators' webhook certificates cannot be issued`, { context, hint: `install cert-manager: ${hint}` })
    : check('CERT-MANAGER', 'pass', 'cert-manager is installed', { context }));
  return out;
}

function notAvailable(r?: { desired: number; available: number }): string {
  if (!r) return 'is not available';
  return r.desired === 0 ? 'is scaled to 0 replicas' : `is not available (${r.available}/${r.desired} replicas)`;
}

/**
 * STATUS-DATA-PLANE-UNREGISTERED: every cluster that runs the operator in data-plane mode is registered
 * with the control plane: some ClientConfig there names it. A ClientConfig's `spec.contextName` is the
 * name the control plane knows the data plane by, which need not be the user's context name; status
 * has no cluster identity (no kube-system UID is read), so a ClientConfig is matched to the user's
 * context as everywhere in status (`userContextOf`): by context name, else by the API server address
 * its kubeconfig points at.
 */
export function unregisteredDataPlaneFindings(inst: Installation): Check[] {
  const { members, controlPlanes, registeredAs } = inst;
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

/** STATUS-VERSION-SKEW: one k8ssandra-operator and one cass-operator version across the clusters that run them. */
export function versionSkewFindings(clusters: ContextFacts[], hint: string): Check[] {
  if (!clusters.length) return [];
  const out: Check[] = [];
  for (const [what, versionsOf] of [
    ['k8ssandra-operator', (c: ContextFacts) => c.operators.map((o) => o.version)],
    ['cass-operator', (c: ContextFacts) => c.cassOperators.map((o) => o.version)],
  ] as const) {
    const byVersion = new Map<string, string[]>();
    for (const c of clusters) for (const v of versionsOf(c)) if (v) byVersion.set(v, [...(byVersion.get(v) ?? []), c.context]);
    // An upgrade under way (install records say where clusters are going) is not skew, unless it stays so.
    const upgrading = [...new Set(clusters.map((c) => c.installRecord?.upgradingTo).filter((v): v is string => !!v))];
    if (byVersion.size > 1 && upgrading.length && what === 'k8ssandra-operator') {
      const from = [...byVersion.keys()].filter((v) => !upgrading.includes(v));
      out.push(check('STATUS-VERSION-SKEW', 'warn', `upgrading from ${from.join(', ')} to ${upgrading.join(', ')}: ${[...byVersion].map(([v, cs]) => `${cs.join(', ')} ${v}`).join('; ')}`,
        { hint: `if no upgrade is running, finish it: k8ssandra upgrade --contexts ${clusters.map((c) => c.context).join(',')} --operator-version ${upgrading[0]}` }));
    } else if (byVersion.size > 1 && upgrading.length) {
      out.push(check('STATUS-VERSION-SKEW', 'warn', `${what} versions differ while upgrading to k8ssandra-operator ${upgrading.join(', ')}`));
    } else if (byVersion.size > 1) {
      const list = [...byVersion].map(([v, cs]) => `${cs.join(', ')} ${v}`).join('; ');
      out.push(check('STATUS-VERSION-SKEW', 'fail', `${what} versions differ between clusters: ${list}`,
        { hint: `run one release everywhere: ${hint} --operator-version VERSION` }));
    } else if (byVersion.size === 1) {
      out.push(check('STATUS-VERSION-SKEW', 'pass', `${what} ${[...byVersion.keys()][0]} in every cluster`));
    }
  }
  return out;
}

/** The findings of one ClientConfig: its credentials, its token's lifetime, and whether a datacenter uses it. */
export function clientConfigFindings(cc: ClientConfigFacts, inst: Installation): Check[] {
  const { facts } = inst;
  const user = userContextOf(cc, facts.contexts);
  const context = user?.context ?? cc.contextName;
  const expired = cc.tokenExpiresAt !== undefined && Date.parse(cc.tokenExpiresAt) <= facts.now;
  const hint = inst.installHint();
  const auth = clientConfigAuthFinding(cc, user, context, expired, hint);
  return [...(auth ? [auth] : []), tokenFinding(cc, facts.now, context, expired, hint),
    clientConfigUseFinding(cc, context, inst.used, inst.k8ssandraClusters.some((k) => k.controlPlane === cc.controlPlane))];
}

/**
 * STATUS-CLIENTCONFIG-AUTH (or STATUS-DATA-PLANE-UNREACHABLE for a data plane no context reaches);
 * nothing when the data plane itself did not answer, which its reachability finding reports once.
 */
export function clientConfigAuthFinding(cc: ClientConfigFacts, user: ContextFacts | undefined, context: string, expired: boolean, hint: string): Check | undefined {
  const label = `ClientConfig ${cc.name}`;
  switch (cc.credentials) {
    case 'ok':
      return check('STATUS-CLIENTCONFIG-AUTH', 'pass', `${label}: credentials work`, { context });
    case 'unreachable':
      if (user?.reachable) {
        return check('STATUS-CLIENTCONFIG-AUTH', 'warn', `${label}: not verified, ${cc.server} does not answer from here: ${cc.problem}`,
          { context, hint: 'fine if that address is reachable only from inside the control-plane cluster; otherwise fix the address (install --api-server)' });
      }
      if (!user) {
        return check('STATUS-DATA-PLANE-UNREACHABLE', 'fail', `data plane ${cc.contextName} (${label} in ${cc.controlPlane}) does not answer: ${cc.problem}`,
          { context, hint: 'check that the cluster is up and that the address in the ClientConfig\'s kubeconfig is right' });
      }
      return undefined;
    default:
      return check('STATUS-CLIENTCONFIG-AUTH', 'fail', `${label}: ${expired ? `the token expired on ${cc.tokenExpiresAt}: ` : ''}${cc.problem}`,
        { context, hint: cc.credentials === 'invalid'
          ? `the control-plane operator cannot start with a broken ClientConfig; write it again: ${hint}`
          : `the token was revoked or expired (its service account recreated?): mint a new one with ${hint}` });
  }
}

/** STATUS-TOKEN-EXPIRING: fails when the token expired, warns when less than a third of its lifetime (or a week) is left. */
export function tokenFinding(cc: ClientConfigFacts, now: number, context: string, expired: boolean, hint: string): Check {
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
  if (lifetime !== undefined && lifetime < 7 * DAY && left >= lifetime * RENEW_WHEN_LEFT) {
    // Fresh, but short-lived (an API server that caps tokens, or --bounded-tokens): it must be renewed often.
    const every = describeSpan(lifetime * (1 - RENEW_WHEN_LEFT));
    return check('STATUS-TOKEN-EXPIRING', 'warn', `${label}: the token lasts ${describeSpan(lifetime)} (expires on ${date}): renew it at least every ${every}`,
      { context, hint: `renew it on a schedule (${hint}), or register it with a token Secret that lasts (leave out --bounded-tokens)` });
  }
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

/** STATUS-CLIENTCONFIG-UNUSED: warns when K8ssandraClusters exist but no datacenter uses the ClientConfig's context. */
export function clientConfigUseFinding(cc: ClientConfigFacts, context: string, used: Set<string>, anyK8ssandraCluster: boolean): Check {
  const label = `ClientConfig ${cc.name}`;
  if (!anyK8ssandraCluster) return check('STATUS-CLIENTCONFIG-UNUSED', 'pass', `${label}: no K8ssandraCluster yet`, { context });
  if (!used.has(`${cc.controlPlane}/${cc.contextName}`)) {
    return check('STATUS-CLIENTCONFIG-UNUSED', 'warn', `${label}: no K8ssandraCluster datacenter uses context ${cc.contextName}`,
      { context, hint: `add a datacenter there (k8ssandra add-dc), or remove the ClientConfig and its Secret ${cc.secretName} if the cluster is no longer a data plane` });
  }
  return check('STATUS-CLIENTCONFIG-UNUSED', 'pass', `${label}: used by a K8ssandraCluster`, { context });
}

/**
 * STATUS-DC-NOT-READY of one datacenter of a K8ssandraCluster, read from the cluster that runs it,
 * with the datacenter's entry of the report (both come from the same reading).
 */
export function datacenterFinding(k: { controlPlane: string; namespace: string; name: string }, d: { name: string; k8sContext: string; size: number },
  inst: Installation): { check: Check; datacenter: DatacenterStatus } {
  const { facts: { contexts }, clientConfigs, installHint } = inst;
  const label = `${k.namespace}/${k.name} dc ${d.name}`;
  const base = { name: d.name, k8sContext: d.k8sContext, size: d.size };
  const unknown = (status: 'warn' | 'fail', why: string, hint: string, context?: string) => ({
    check: check('STATUS-DC-NOT-READY', status, `${label}: ${why}`, { context, hint }),
    datacenter: { ...base, ...(context ? { context } : {}), progress: 'Unknown', ready: false, problem: why },
  });
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
    return {
      check: check('STATUS-DC-NOT-READY', 'fail', `${label}: no CassandraDatacenter ${d.name} in ${context} yet`, { context,
        hint: `the control-plane operator creates it: see the K8ssandraCluster's status (kubectl --context ${k.controlPlane} -n ${k.namespace} describe k8ssandracluster ${k.name}) and the operator's log` }),
      datacenter: { ...base, context, progress: 'NotCreated', ready: false, problem: 'not created yet' },
    };
  }
  const nodesOk = dc.readyNodes === undefined || dc.readyNodes >= dc.size;
  const ready = dc.progress === 'Ready' && dc.readyCondition && nodesOk;
  const nodes = dc.readyNodes === undefined ? '' : `, ${dc.readyNodes}/${dc.size} nodes ready`;
  const state = `${dc.progress ?? 'no progress reported'}${dc.readyCondition ? '' : ', condition Ready not True'}${nodes}`;
  return {
    check: ready
      ? check('STATUS-DC-NOT-READY', 'pass', `${label} in ${context}: Ready${nodes}`, { context })
      : check('STATUS-DC-NOT-READY', 'fail', `${label} in ${context}: ${state}`, { context,
        hint: `kubectl --context ${context} -n ${k.namespace} describe cassandradatacenter ${d.name} (and its pods) shows what it waits for` }),
    datacenter: { ...base, size: dc.size || d.size, context, readyNodes: dc.readyNodes, progress: dc.progress ?? 'Unknown', ready,
      ...(ready ? {} : { problem: state }) },
  };
}

/** STATUS-DC-DECOMMISSION: a datacenter the operator is taking out (a warning), and why it will not go on when it refuses. */
export function decommissionFindings(k: K8ssandraClusterFacts): Check[] {
  return (k.decommissions ?? []).map((d) => {
    const label = `${k.namespace}/${k.name} dc ${d.name}`;
    return d.refusedFor.length
      ? check('STATUS-DC-DECOMMISSION', 'warn', `${label}: the operator refuses to decommission it: user keyspaces still replicate to it: ${d.refusedFor.join(', ')}`,
        { context: k.controlPlane, hint: `take ${d.name} out of their replication (ALTER KEYSPACE ... WITH replication = {...} without '${d.name}'): k8ssandra remove-dc --cluster ${k.name} --dc ${d.name} prints the statements` })
      : check('STATUS-DC-DECOMMISSION', 'warn', `${label}: being decommissioned (${d.progress})`,
        { context: k.controlPlane, hint: `follow it with k8ssandra remove-dc --cluster ${k.name} --dc ${d.name}` });
  });
}
