import { check } from '../checks/catalog.js';
import type { AddDcOptions } from './add-dc.js';
import { gate } from '../checks/gate.js';
import { CliError } from '../errors.js';
import { ApiError } from '../kube/client.js';
import { connect, type Cluster } from '../kube/connect.js';
import { findControlPlane } from '../kube/find-control-plane.js';
import { alterKeyspaces, readKeyspaces } from '../kube/keyspaces.js';
import { CASSANDRA_DATACENTER, K8SSANDRA_CLUSTER, K8SSANDRA_TASK } from '../model/kinds.js';
import { annotateCluster, patchCluster, readCluster, type ClusterRef } from '../kube/k8ssandra-cluster.js';
import type { KubeObject } from '../model/object.js';
import { getObject, listObjects, listOrNone } from '../kube/resources.js';
import { datacenterNames, validateDnsLabel, validateObjectName } from '../plan/datacenter.js';
import {
  decommissionState, keyspacesOn, RETRY_DECOMMISSION_ANNOTATION, UPDATING_REPLICATION, planRemoval, refusalHint, refusedKeyspaces, removalChecks, removalPatch,
  type Keyspace, type KeyspaceFacts, type RemovalPlan,
} from '../plan/remove-datacenter.js';
import { taskRunning } from '../plan/move.js';
import type { DatacenterRemovalReport } from '../report/model.js';
import { must, type ConnectedRun } from '../run/operator-run.js';
import { newReport, type ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import { newTarget } from '../run/target.js';
import { confirm } from '../steps/confirm.js';
import { lockTheClusters } from '../steps/lock.js';
import type { Reporter } from '../ui/reporter.js';
import { deadlineFrom, waitUntil } from '../util/wait.js';

/** Finding the cluster, the run's budget and its prompts: as add-dc takes them. */
type SharedWithAddDc = 'kubeconfig' | 'env' | 'cluster' | 'dc' | 'controlPlane' | 'namespace' | 'dryRun' | 'timeoutMs' | 'confirm' | 'interrupt'
  | 'requestTimeoutMs' | 'plugins';

export interface RemoveDcOptions extends Pick<AddDcOptions, SharedWithAddDc> {
  /** Run the ALTER KEYSPACE statements that take the datacenter out of user keyspaces (after a confirmation). */
  alterKeyspaces: boolean;
  /** Uninstall the data plane afterwards when it hosts no datacenter any more (after a confirmation). */
  uninstallDataPlane: boolean;
  /** Follow the operator until the datacenter is gone (--no-wait: stop after the patch). */
  wait: boolean;
}

interface RemoveDcRun extends ConnectedRun {
  ref?: ClusterRef;
  kc?: KubeObject;
  plan?: RemovalPlan;
  /** The cluster that runs the datacenter (undefined: its context is not in the kubeconfig). */
  dcCluster?: Cluster;
  keyspaces?: KeyspaceFacts;
  removal?: DatacenterRemovalReport;
  /** When the datacenter left the spec (ms since epoch): the operator's refusals from then on are this removal's. */
  since?: number;
}

const FOLLOW_MS = 1000;
/** How long after the operator was made to try its unchanged status.error still counts as its answer (it answers in milliseconds). */
const RETRY_GRACE_MS = 5000;

/**
 * `remove-dc`: find the control plane, read the K8ssandraCluster, refuse (nothing changed) the last
 * datacenter, a cluster that is not Ready, one where another datacenter is being decommissioned or
 * rebuilt, and user keyspaces that still replicate to the datacenter; take it out of the spec with a
 * patch that cannot overwrite concurrent edits; follow the operator's decommission until the
 * CassandraDatacenter is gone, reporting a refusal of the operator as soon as it says it.
 */
const removeDcSteps = (o: RemoveDcOptions): Step<RemoveDcRun>[] => [
  findTheControlPlane(o),
  lockTheClusters({ which: (ctx) => [must(ctx.cp, 'the control plane').cluster, ...(ctx.dcCluster ? [ctx.dcCluster] : [])] }),
  readTheCluster(o),
  checkTheRemoval(o),
  confirm((ctx) => (ctx.plan!.action === 'removed'
    ? `Remove datacenter ${o.dc} (in ${contextName(ctx)}) from K8ssandraCluster ${ctx.ref!.namespace}/${ctx.ref!.name}? Its nodes are decommissioned and its CassandraDatacenter deleted`
    : undefined), 'remove-dc', o.confirm),
  removeFromSpec(o),
  followTheOperator(o),
  summarize(o),
];

export async function runRemoveDc(o: RemoveDcOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  validateObjectName('--cluster', o.cluster);
  validateDnsLabel('--dc', o.dc);
  const deadline = deadlineFrom(o.timeoutMs);
  report.dryRun = o.dryRun;
  const ctx: RemoveDcRun = {
    ui, report, deadline, signal: o.interrupt?.signal, namespace: '', dryRun: o.dryRun, force: false, interrupt: o.interrupt, targets: [], dataPlanes: [],
    connection: { kubeconfig: o.kubeconfig, env: o.env, log: ui.verbose, signal: o.interrupt?.signal, deadline, requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins },
  };
  await runSteps(ctx, removeDcSteps(o), { reportClusters: false });
  if (o.uninstallDataPlane && ctx.removal?.dataPlaneFree && !o.dryRun) await uninstallDataPlane(o, ctx, ui, report);
}

const contextName = (ctx: RemoveDcRun) => ctx.dcCluster?.ctx.name ?? (ctx.plan!.k8sContext || ctx.cp!.cluster.ctx.name);

const findTheControlPlane = (o: RemoveDcOptions): Step<RemoveDcRun> => ({
  title: 'Find the control plane and the datacenter',
  async run(ctx, s) {
    const found = await findControlPlane({ kubeconfig: o.kubeconfig, env: o.env, explicit: o.controlPlane, log: ctx.ui.verbose, signal: ctx.signal,
      deadline: ctx.deadline, requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins });
    const [cp] = await connect({ ...ctx.connection, contexts: [found.context] });
    ctx.cp = newTarget(cp!, 'control-plane');
    ctx.targets = [ctx.cp];
    ctx.namespace = found.operator.namespace;
    ctx.ref = { namespace: o.namespace ?? found.operator.namespace, name: o.cluster };
    const kc = await readCluster(cp!.client, ctx.ref);
    const plan = planRemoval(kc, o.dc);
    const where = plan.k8sContext || cp!.ctx.name;
    ctx.dcCluster = where === cp!.ctx.name ? cp : await connect({ ...ctx.connection, contexts: [where] }).then((c) => c[0], () => undefined);
    s.note(`${cp!.ctx.name}: control plane in namespace ${ctx.namespace}; datacenter ${o.dc} ${plan.action === 'gone' ? 'not found' : `runs in ${where}`}`
      + (ctx.dcCluster ? '' : ` (not in the kubeconfig: its CassandraDatacenter cannot be followed there)`));
  },
});

const readTheCluster = (o: RemoveDcOptions): Step<RemoveDcRun> => ({
  title: (ctx) => `Read K8ssandraCluster ${ctx.ref!.namespace}/${ctx.ref!.name}`,
  async run(ctx, s) {
    // Read again under the lock: what another run did meanwhile counts.
    ctx.kc = await readCluster(ctx.cp!.cluster.client, ctx.ref!);
    ctx.plan = planRemoval(ctx.kc, o.dc);
    if (ctx.plan.action === 'following') ctx.removal = removalReport(ctx, o, decommissionState(ctx.kc, o.dc, undefined).state, false);
    s.note(ctx.plan.action === 'removed' ? `${o.dc} is in the spec (datacenter ${ctx.plan.index! + 1} of ${ctx.kc.spec.cassandra.datacenters.length})`
      : ctx.plan.action === 'following' ? `${o.dc} has left the spec already; the operator is taking it out: following it`
        : `${o.dc} is neither in the spec nor in the status: nothing to remove`);
  },
});

/** The datacenters other than `dc`, by the cluster that runs them, for reading the schema through one of their pods. */
async function otherClusters(ctx: RemoveDcRun, dc: string): Promise<{ cluster: Cluster; dcs: string[] }[]> {
  const byContext = new Map<string, string[]>();
  for (const d of (ctx.kc!.spec?.cassandra?.datacenters ?? []) as { metadata: { name: string }; k8sContext?: string }[]) {
    if (d.metadata.name === dc) continue;
    const c = d.k8sContext || ctx.cp!.cluster.ctx.name;
    byContext.set(c, [...(byContext.get(c) ?? []), d.metadata.name]);
  }
  const out: { cluster: Cluster; dcs: string[] }[] = [];
  for (const [context, dcs] of byContext) {
    const cluster = [ctx.cp!.cluster, ctx.dcCluster].find((c) => c?.ctx.name === context)
      ?? await connect({ ...ctx.connection, contexts: [context] }).then((c) => c[0], () => undefined);
    if (cluster) out.push({ cluster, dcs });
  }
  return out;
}

/** K8ssandraTasks of the cluster that have not finished. */
async function runningTasks(ctx: RemoveDcRun): Promise<string[]> {
  const tasks = await listOrNone(ctx.cp!.cluster.client, { ...K8SSANDRA_TASK, namespace: ctx.ref!.namespace });
  return tasks.filter((t) => t.spec?.cluster?.name === ctx.ref!.name && taskRunning(t)).map((t) => t.metadata.name);
}

const checkTheRemoval = (o: RemoveDcOptions): Step<RemoveDcRun> => ({
  title: 'Check that the datacenter can leave',
  skip: (ctx) => ctx.plan!.action !== 'removed',
  async run(ctx, s) {
    const others = await otherClusters(ctx, o.dc);
    const read = () => readKeyspaces(others.map((x) => ({ client: x.cluster.client, dcs: x.dcs })), ctx.ref!.namespace);
    ctx.keyspaces = await read();
    const tasks = await runningTasks(ctx);
    const on = 'keyspaces' in ctx.keyspaces ? keyspacesOn(ctx.kc!, ctx.keyspaces.keyspaces, o.dc) : [];
    if (on.length && o.alterKeyspaces && !ctx.dryRun) {
      const first = others[0]!;
      if (!(await o.confirm(`Take ${o.dc} out of the replication of ${on.map((k) => k.name).join(', ')}? Their data in ${o.dc} will no longer be read or written`))) {
        throw new CliError('interrupted', 'remove-dc cancelled', { hint: 'pass --yes to run the statements without asking' });
      }
      ctx.changing = true;
      await alterKeyspaces(first.cluster.client, ctx.ref!.namespace, first.dcs, on, o.dc, s.note);
      ctx.keyspaces = await read();
    }
    if ('unreadable' in ctx.keyspaces) s.note(`keyspaces not read: ${ctx.keyspaces.unreadable}`);
    gate(removalChecks(ctx.kc!, o.dc, ctx.keyspaces, tasks), ctx, s);
  },
});

const removeFromSpec = (o: RemoveDcOptions): Step<RemoveDcRun> => ({
  title: (ctx) => (ctx.dryRun ? `Remove ${o.dc} from the spec (server-side dry run)` : `Remove ${o.dc} from the spec`),
  skip: (ctx) => ctx.plan!.action !== 'removed',
  async run(ctx, s) {
    const client = ctx.cp!.cluster.client;
    for (let attempt = 1; ; attempt++) {
      try {
        ctx.since = Date.now();
        ctx.changing = !ctx.dryRun;
        ctx.kc = await patchCluster(client, ctx.kc!, removalPatch(ctx.kc!, ctx.plan!, o.dc), ctx.dryRun);
        s.note(`${ctx.dryRun ? 'would remove' : 'removed'} ${o.dc} from spec.cassandra.datacenters (the API server accepts it)`);
        return;
      } catch (e) {
        if (!(e instanceof ApiError && (e.status === 409 || e.status === 422)) || attempt >= 5) throw e;
        // Changed since it was read (another edit): read, plan and check again, never overwrite it.
        s.note(`K8ssandraCluster ${ctx.ref!.name} changed since it was read (attempt ${attempt}); reading it again`);
        ctx.kc = await readCluster(client, ctx.ref!);
        ctx.plan = planRemoval(ctx.kc, o.dc);
        if (ctx.plan.action !== 'removed') return;
        gate(removalChecks(ctx.kc, o.dc, ctx.keyspaces ?? { unreadable: 'not read' }, []).filter((c) => c.id !== 'DC-REMOVE-KEYSPACES'), ctx, s);
      }
    }
  },
});

/** Warning events of the operator on the K8ssandraCluster (its refusals), with when each was last said. */
async function operatorWarnings(ctx: RemoveDcRun): Promise<{ message: string; at: number }[]> {
  const events = await listObjects(ctx.cp!.cluster.client, { apiVersion: 'v1', kind: 'Event', namespace: ctx.ref!.namespace },
    { fieldSelector: `involvedObject.name=${ctx.ref!.name},involvedObject.kind=${K8SSANDRA_CLUSTER.kind},type=Warning` });
  return events.map((e) => ({ message: String(e.message ?? e.note ?? ''), at: Date.parse(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? '') }));
}

const followTheOperator = (o: RemoveDcOptions): Step<RemoveDcRun> => ({
  title: (ctx) => `Follow the operator until ${o.dc} is gone${ctx.dcCluster ? ` from ${ctx.dcCluster.ctx.name}` : ''}`,
  skip: (ctx) => ctx.dryRun || !o.wait || ctx.plan!.action === 'gone',
  async run(ctx, s) {
    ctx.since ??= Date.now();
    let last = '';
    // When the operator was last made to try (our patch, or the annotation below): what it says from then on is current.
    let askedAt = ctx.plan!.action === 'removed' ? ctx.since : undefined;
    await waitUntil(`the operator to take ${o.dc} out of K8ssandraCluster ${ctx.ref!.name}`, async () => {
      const [kc, cassdc, warnings] = await Promise.all([
        readCluster(ctx.cp!.cluster.client, ctx.ref!),
        ctx.dcCluster ? getObject(ctx.dcCluster.client, { ...CASSANDRA_DATACENTER, namespace: ctx.ref!.namespace, name: o.dc }).then(Boolean) : undefined,
        operatorWarnings(ctx),
      ]);
      // The operator refuses only while it updates replication, at every attempt, in a Warning event and in
      // status.error. Events stop after about 25 for one object (client-go's spam filter), and status.error
      // does not change when a refusal repeats: a refusal is current when an event says it after the operator
      // was made to try, or when status.error still says it RETRY_GRACE_MS after that.
      const updating = kc.status?.datacenters?.[o.dc]?.decommissionProgress === UPDATING_REPLICATION;
      const inStatus = updating ? refusedKeyspaces([String(kc.status?.error ?? '')], o.dc) : [];
      if (updating && askedAt === undefined) {
        // A re-run: the operator's last refusal may predate the user's ALTER KEYSPACE, and after a refusal it
        // waits longer each time (seen: 82 s, 164 s, 328 s). Ask it to try again now.
        const before = warnings.filter((w) => refusedKeyspaces([w.message], o.dc).length).sort((a, b) => b.at - a.at)[0];
        const said = inStatus.length ? inStatus : before ? refusedKeyspaces([before.message], o.dc) : [];
        if (said.length) {
          await annotateCluster(ctx.cp!.cluster.client, ctx.ref!, RETRY_DECOMMISSION_ANNOTATION, new Date().toISOString());
          s.note(`the operator refused before this run${before ? ` (last event ${new Date(before.at).toISOString()})` : ''}: ${said.join(', ')} still replicated to ${o.dc};`
            + ` asked it to try again now (annotation ${RETRY_DECOMMISSION_ANNOTATION})`);
        }
        askedAt = Date.now();
      }
      // Event times have whole seconds.
      const since = Math.floor((askedAt ?? ctx.since!) / 1000) * 1000;
      const inEvents = updating ? refusedKeyspaces(warnings.filter((w) => w.at >= since).map((w) => w.message), o.dc) : [];
      const refused = inEvents.length ? inEvents : Date.now() - (askedAt ?? ctx.since!) >= RETRY_GRACE_MS ? inStatus : [];
      if (refused.length) {
        const known = 'keyspaces' in (ctx.keyspaces ?? {}) ? (ctx.keyspaces as { keyspaces: Keyspace[] }).keyspaces : [];
        const c = check('DC-REMOVE-KEYSPACES', 'fail', `the operator refuses to decommission ${o.dc}: user keyspaces still replicate to it: ${refused.join(', ')}`,
          { hint: refusalHint(refused, known, o.dc, datacenterNames(kc).filter((n) => n !== o.dc)) });
        ctx.removal = removalReport(ctx, o, decommissionState(kc, o.dc, cassdc).state, false, refused);
        gate([c], ctx, s);
      }
      const st = decommissionState(kc, o.dc, cassdc);
      if (st.state !== last) { last = st.state; s.note(`${o.dc}: ${st.state}`); }
      ctx.removal = removalReport(ctx, o, st.state, st.done);
      return st.done ? true : undefined;
    }, { deadline: ctx.deadline, intervalMs: FOLLOW_MS, signal: ctx.signal }, () => last || undefined);
  },
});

/** Where the removal is, in the report at once: a run that stops (a refusal, a timeout, Ctrl-C) still says it. */
function removalReport(ctx: RemoveDcRun, o: RemoveDcOptions, state: string, done: boolean, refusedFor?: string[]): DatacenterRemovalReport {
  const r: DatacenterRemovalReport = { cluster: ctx.ref!.name, namespace: ctx.ref!.namespace, name: o.dc, context: contextName(ctx), action: ctx.plan!.action,
    state, done, ...(refusedFor ? { refusedFor } : {}) };
  ctx.report.datacenterRemoval = r;
  return r;
}

const summarize = (o: RemoveDcOptions): Step<RemoveDcRun> => ({
  title: 'summary', quiet: true,
  async run(ctx) {
    const r = ctx.removal ?? removalReport(ctx, o, ctx.plan!.action === 'gone' ? 'not in the K8ssandraCluster' : ctx.dryRun ? 'would be removed' : 'removed from the spec; not followed (--no-wait)',
      ctx.plan!.action === 'gone');
    ctx.removal = r;
    const context = contextName(ctx);
    if (r.done && !ctx.dryRun && context !== ctx.cp!.cluster.ctx.name) {
      const users = await listObjects(ctx.cp!.cluster.client, K8SSANDRA_CLUSTER).then((kcs) => kcs.filter((k) =>
        ((k.spec?.cassandra?.datacenters ?? []) as { k8sContext?: string }[]).some((d) => d.k8sContext === context)));
      r.dataPlaneFree = users.length === 0;
      if (r.dataPlaneFree && !o.uninstallDataPlane) {
        ctx.ui.info(`${context} hosts no datacenter any more: k8ssandra uninstall --contexts ${context} --control-plane ${ctx.cp!.cluster.ctx.name} removes its data plane (or pass --uninstall-data-plane)`);
      }
    }
    ctx.report.datacenterRemoval = r;
    const what = `datacenter ${o.dc} of K8ssandraCluster ${r.namespace}/${r.cluster}`;
    ctx.report.summary = ctx.dryRun ? `dry run: ${what} ${r.action === 'gone' ? 'is not there' : 'would be removed; the API server accepts it'}; nothing was changed`
      : r.action === 'gone' ? `${what} is not in the K8ssandraCluster: nothing to remove`
        : r.done ? `removed ${what}: decommissioned, its CassandraDatacenter deleted` : `${what} left the spec; the operator is decommissioning it (${r.state})`;
    ctx.report.ok = ctx.dryRun || r.done || !o.wait;
  },
});

/** --uninstall-data-plane: the data plane that hosted only this datacenter, and its registration, go (uninstall's own checks and confirmation). */
async function uninstallDataPlane(o: RemoveDcOptions, ctx: RemoveDcRun, ui: Reporter, report: ReportDraft): Promise<void> {
  const { runUninstall } = await import('./uninstall.js');
  const sub = newReport('uninstall');
  await runUninstall({ kubeconfig: o.kubeconfig, env: o.env, contexts: [ctx.removal!.context], controlPlane: ctx.cp!.cluster.ctx.name,
    namespace: ctx.namespace, dryRun: false, force: false, wait: true, timeoutMs: Math.max(60_000, ctx.deadline - Date.now()), deleteCrds: false, clusterScoped: false,
    confirm: o.confirm, interrupt: o.interrupt, requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins }, ui, sub);
  report.clusters.push(...sub.clusters);
  report.checks.push(...sub.checks);
  report.registrations.push(...sub.registrations);
  ctx.removal!.dataPlaneUninstalled = sub.ok;
  report.summary += sub.ok ? `; ${ctx.removal!.context}'s data plane uninstalled` : `; ${ctx.removal!.context}'s data plane not uninstalled: ${sub.summary}`;
  report.ok = report.ok && sub.ok;
}
