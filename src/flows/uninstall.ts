import { check, type Check } from '../checks/catalog.js';
import { gate } from '../checks/gate.js';
import { describe } from '../errors.js';
import { connect } from '../kube/connect.js';
import { readInstallRecords } from '../kube/install-record.js';
import { findOperators, type ExistingOperator } from '../kube/operators.js';
import { customResourcesOf, deleteRemovals, findInstalled, findK8ssandraClusters, findLocalDatacenters, findRegistrations, waitGone,
  type FoundRegistration } from '../kube/removal.js';
import { refOf, type KubeObject } from '../model/object.js';
import { loadOperatorRelease, renderForCluster, type OperatorRelease } from '../manifests/operator-release.js';
import { inUseChecks, type InUseInput } from '../plan/in-use.js';
import { recordedOperatorSource, type InstallRecord } from '../plan/install-record.js';
import { PHASES, planRemoval, type Removal } from '../plan/uninstall.js';
import { CONTROL_PLANE_SA } from '../registration/objects.js';
import type { RegistrationReport } from '../report/model.js';
import type { RunContext } from '../run/context.js';
import { forEachCluster } from '../run/fan-out.js';
import type { ClusterFlowOptions } from '../run/flow-options.js';
import type { ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import { newTarget, type Target } from '../run/target.js';
import { confirm, warnForce } from '../steps/confirm.js';
import { lockTheClusters } from '../steps/lock.js';
import type { Reporter } from '../ui/reporter.js';
import type { Interrupt } from '../util/interrupt.js';
import { deadlineFrom } from '../util/wait.js';

/** `contexts`: the clusters to uninstall from; `controlPlane`: one that stays, to remove their registrations from. */
export interface UninstallOptions extends ClusterFlowOptions {
  operatorVersion?: string;
  manifests?: string;
  clusterScoped: boolean;
  deleteCrds: boolean;
  confirm: (question: string) => Promise<boolean>;
}

/** What uninstall found in one cluster and will remove there; `uninstall`: the cluster is uninstalled (else only registrations go). */
interface ClusterPlan { target: Target; operator?: ExistingOperator; registrations: FoundRegistration[]; removals: Removal[]; uninstall: boolean }

interface UninstallRun extends RunContext {
  readonly force: boolean;
  readonly interrupt?: Interrupt;
  readonly wait: boolean;
  plans: ClusterPlan[];
}

/**
 * `uninstall`: removes what k8ssandra installed (the operator release and the registrations) and
 * nothing else: only objects that our field manager wrote are deleted; CRDs, custom resources and
 * data stay unless --delete-crds (refused while custom resources exist, unless --force); namespaces
 * and cert-manager always stay. Safe to interrupt and to repeat: it works from what exists.
 */
const uninstallSteps = (o: UninstallOptions): Step<UninstallRun>[] => [
  resolve(o),
  warnForce(`${o.deleteCrds ? 'CRDs are deleted even where custom resources exist, and those custom resources with them; ' : ''}`
    + 'data planes that K8ssandraClusters use are uninstalled anyway'),
  findWhatWasInstalled(o),
  lookForUsers(o),
  lookForCustomResources(o),
  // Deletes carry uid preconditions: what another run made again while this one waited is never deleted.
  lockTheClusters(),
  confirm((ctx) => {
    const total = toDelete(ctx).length;
    return total ? `Delete ${total} object(s) from ${ctx.targets.map((t) => t.cluster.ctx.name).join(', ')}? (${o.deleteCrds ? 'CRDs and custom resources too' : 'CRDs, custom resources and data are kept'})` : undefined;
  }, 'uninstall', o.confirm),
  remove,
  waitUntilGone,
  summarize(o),
];

export async function runUninstall(o: UninstallOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  report.dryRun = o.dryRun;
  await runSteps<UninstallRun>({ ui, report, deadline: deadlineFrom(o.timeoutMs), signal: o.interrupt?.signal, namespace: o.namespace, dryRun: o.dryRun,
    force: o.force, wait: o.wait, interrupt: o.interrupt, targets: [], plans: [] }, uninstallSteps(o), { removal: true });
}

const toDelete = (ctx: UninstallRun) => ctx.plans.flatMap((p) => p.removals.filter((r) => r.action === 'delete'));

const resolve = (o: UninstallOptions): Step<UninstallRun> => ({
  title: 'Resolve contexts',
  async run(ctx, s) {
    const remoteCp = o.controlPlane && !o.contexts.includes(o.controlPlane) ? o.controlPlane : undefined;
    const cs = await connect({ kubeconfig: o.kubeconfig, env: o.env, contexts: [...o.contexts, ...(remoteCp ? [remoteCp] : [])], log: ctx.ui.verbose,
      signal: ctx.signal, deadline: ctx.deadline, requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins });
    for (const c of cs) s.note(`${c.ctx.name} -> ${c.ctx.server}${c.ctx.name === remoteCp ? ' (control plane: registrations only)' : ''}`);
    ctx.targets = cs.map((c) => newTarget(c, 'none'));
  },
});

const findWhatWasInstalled = (o: UninstallOptions): Step<UninstallRun> => ({
  title: 'Find what k8ssandra installed',
  async run(ctx, s) {
    const operators = new Map<Target, ExistingOperator | undefined>();
    await forEachCluster('find the operator', ctx.targets, async (t) => {
      const op = (await findOperators(t.cluster.client)).find((x) => x.namespace === o.namespace);
      operators.set(t, op);
      t.role = op?.mode ?? 'none';
      t.operatorVersion = op?.version;
    });
    const records = await readInstallRecords(ctx.targets.map((t) => t.cluster), o.namespace);
    const releases = await releasesFor(o, [...operators.values()], [...records.values()]);
    const uninstalled = new Set(o.contexts);
    await forEachCluster('find what k8ssandra installed', ctx.targets, async (t) => {
      const operator = operators.get(t);
      const uninstall = uninstalled.has(t.cluster.ctx.name);
      const registrations = await findRegistrations(t.cluster.client, o.namespace, uninstall ? undefined : uninstalled);
      const release = uninstall ? renderForCluster(releases.get(o.clusterScoped || !!operator?.clusterScoped)!, 'data-plane', o.namespace) : [];
      const existing = uninstall ? await findInstalled(t.cluster.client, o.namespace, release, registrations)
        : registrations.flatMap((r) => [r.clientConfig, ...(r.secret ? [r.secret] : [])]);
      const removals = planRemoval(existing, { deleteCrds: o.deleteCrds });
      // Every object starts as kept; the delete step says which went.
      t.objects = removals.map((r) => ({ ref: refOf(r.object), action: 'kept', ...(r.reason ? { reason: r.reason } : {}) }));
      ctx.plans.push({ target: t, operator, registrations, uninstall, removals });
    });
    ctx.plans.sort((a, b) => ctx.targets.indexOf(a.target) - ctx.targets.indexOf(b.target));
    for (const p of ctx.plans) {
      const del = p.removals.filter((r) => r.action === 'delete').length;
      s.note(`${p.target.cluster.ctx.name}: ${del} object(s) to delete, ${p.removals.length - del} kept`);
    }
    ctx.report.checks.push(...registrationChecks(ctx.plans));
  },
});

const lookForUsers = (o: UninstallOptions): Step<UninstallRun> => ({
  title: 'Look for K8ssandraClusters that use these clusters',
  async run(ctx, s) { gate(inUseChecks(await inUseInput(o, ctx.plans)), ctx, s); },
});

const lookForCustomResources = (o: UninstallOptions): Step<UninstallRun> => ({
  title: 'Look for custom resources',
  skip: () => !o.deleteCrds,
  async run(ctx, s) { gate(await Promise.all(ctx.plans.filter((p) => p.uninstall).map((p) => crdCheck(p, ctx.force))), ctx, s); },
});

/** Phase by phase across every cluster: registrations go before anything they depend on. */
const remove: Step<UninstallRun> = {
  title: (ctx) => (ctx.dryRun ? 'Delete (server-side dry run)' : 'Delete'),
  skip: (ctx) => !toDelete(ctx).length,
  async run(ctx, s) {
    ctx.changing = true;
    for (const phase of PHASES) {
      await forEachCluster('delete', ctx.plans.map((p) => p.target), async (t) => {
        const p = ctx.plans.find((x) => x.target === t)!;
        const { deleted, changedMeanwhile } = await deleteRemovals(t.cluster.client, p.removals.filter((r) => r.action === 'delete' && r.phase === phase), { dryRun: ctx.dryRun });
        for (const r of deleted) t.objects[p.removals.indexOf(r)]!.action = 'deleted';
        for (const r of changedMeanwhile) s.note(`${ctx.ui.style.mark.warn} ${t.cluster.ctx.name}: ${refOf(r.object)} was replaced meanwhile: kept`);
      });
    }
  },
};

const deletedOf = (p: ClusterPlan) => p.removals.filter((_, i) => p.target.objects[i]!.action === 'deleted');

const waitUntilGone: Step<UninstallRun> = {
  title: 'Wait until the deleted objects are gone',
  skip: (ctx) => !toDelete(ctx).length || !ctx.wait || ctx.dryRun,
  async run(ctx) {
    await forEachCluster('wait', ctx.plans.map((p) => p.target), async (t) => {
      await waitGone(t.cluster.client, deletedOf(ctx.plans.find((p) => p.target === t)!).map((r) => r.object), ctx.deadline);
    });
  },
};

const summarize = (o: UninstallOptions): Step<UninstallRun> => ({
  title: 'summary', quiet: true,
  async run(ctx) {
    ctx.report.registrations.push(...ctx.plans.flatMap((p) => registrationReports(p, o.namespace)));
    const total = toDelete(ctx).length;
    const deleted = ctx.plans.reduce((n, p) => n + deletedOf(p).length, 0);
    const kept = ctx.plans.reduce((n, p) => n + p.removals.length, 0) - deleted;
    ctx.report.summary = !total ? `nothing to uninstall: no object that k8ssandra created was found in ${ctx.targets.map((t) => t.cluster.ctx.name).join(', ')}`
      : ctx.dryRun ? `dry run: would delete ${deleted} object(s), keep ${kept}; nothing was changed`
        : `uninstalled: ${deleted} object(s) deleted, ${kept} kept (${o.deleteCrds ? 'namespaces' : 'CRDs, custom resources, namespaces'} and anything not created by k8ssandra)`;
    ctx.report.ok = deleted === total;
  },
});

/**
 * What the in-use checks need. The control plane is --control-plane, else an uninstalled cluster that
 * runs the operator in control-plane mode; its K8ssandraClusters are listed where its operator watches.
 * A data plane counts only when uninstall deletes something of it (its objects, or its registration).
 * It is known to the control plane by its ClientConfig's spec.contextName (install writes the user's
 * context name there; a registration made under another name is found by our context annotation).
 * Without a control plane, each data plane's own CassandraDatacenters are read instead.
 */
async function inUseInput(o: UninstallOptions, plans: ClusterPlan[]): Promise<InUseInput> {
  const cpName = o.controlPlane ?? plans.find((p) => p.uninstall && p.operator?.mode === 'control-plane')?.target.cluster.ctx.name;
  const cpPlan = plans.find((p) => p.target.cluster.ctx.name === cpName);
  const deleted = (p: ClusterPlan, obj: KubeObject) => p.removals.some((r) => r.object === obj && r.action === 'delete');
  const registrationOf = (context: string) => cpPlan?.registrations.find((r) => r.context === context);
  const touched = plans.filter((p) => p.uninstall && p !== cpPlan).filter((p) => p.removals.some((r) => r.action === 'delete')
    || (cpPlan && registrationOf(p.target.cluster.ctx.name) && deleted(cpPlan, registrationOf(p.target.cluster.ctx.name)!.clientConfig)));
  const listed = async <T>(fn: () => Promise<T>): Promise<{ value?: T; problem?: string }> => {
    try {
      return { value: await fn() };
    } catch (e) {
      return { problem: describe(e) };
    }
  };
  let controlPlane: InUseInput['controlPlane'];
  if (cpPlan) {
    const ns = cpPlan.operator?.namespace ?? o.namespace;
    const r = await listed(() => findK8ssandraClusters(cpPlan.target.cluster.client, ns, cpPlan.operator ? !!cpPlan.operator.clusterScoped : true));
    controlPlane = { context: cpPlan.target.cluster.ctx.name, uninstalled: cpPlan.uninstall, ...(r.value ? { clusters: r.value } : { problem: r.problem }) };
  }
  const dataPlanes: InUseInput['dataPlanes'] = [];
  await Promise.all(touched.map(async (p) => {
    const context = p.target.cluster.ctx.name;
    const knownAs: string = registrationOf(context)?.clientConfig.spec?.contextName || context;
    if (cpPlan) return void dataPlanes.push({ context, knownAs });
    const r = await listed(() => findLocalDatacenters(p.target.cluster.client));
    // Without a control plane, a cluster whose operator is gone already (a second run, or the former
    // control plane) and that runs no datacenter of a K8ssandraCluster is no data plane to ask about.
    if (!p.operator && r.value && !r.value.some((d) => d.cluster)) return;
    dataPlanes.push({ context, knownAs, ...(r.value ? { datacenters: r.value } : { problem: r.problem }) });
  }));
  dataPlanes.sort((a, b) => touched.findIndex((p) => p.target.cluster.ctx.name === a.context) - touched.findIndex((p) => p.target.cluster.ctx.name === b.context));
  return { controlPlane, dataPlanes, force: o.force };
}

/** The release objects per variant (namespace- or cluster-scoped) that some cluster needs. */
async function releasesFor(o: UninstallOptions, operators: (ExistingOperator | undefined)[], records: InstallRecord[]): Promise<Map<boolean, OperatorRelease>> {
  // The installed version, unless the user names one: object names can differ between releases.
  const installed = operators.find((op) => op?.version)?.version;
  const operatorVersion = o.manifests ? o.operatorVersion : o.operatorVersion ?? installed;
  const variants = new Set([o.clusterScoped, ...operators.map((op) => o.clusterScoped || !!op?.clusterScoped)]);
  const out = new Map<boolean, OperatorRelease>();
  for (const clusterScoped of variants) {
    // Without --manifests, the release the install records name (air-gapped installs need no flag to go).
    const manifests = o.manifests ?? recordedOperatorSource(records, { clusterScoped, version: operatorVersion })?.path;
    out.set(clusterScoped, await loadOperatorRelease({ manifests, operatorVersion, clusterScoped }));
  }
  return out;
}

/** A data plane that is uninstalled should also leave its control plane; say so when that one was not named. */
function registrationChecks(plans: ClusterPlan[]): Check[] {
  const unregistered = new Set(plans.flatMap((p) => p.registrations.map((r) => r.context)));
  return plans.filter((p) => p.uninstall && p.removals.some((r) => r.object.kind === 'ServiceAccount' && r.object.metadata.name === CONTROL_PLANE_SA && r.action === 'delete')
    && !unregistered.has(p.target.cluster.ctx.name))
    .map((p) => check('REGISTRATION-REMOVED', 'warn', `${p.target.cluster.ctx.name}: may still be registered with a control plane that was not named: its ClientConfig there stops working`,
      { context: p.target.cluster.ctx.name, hint: `pass --control-plane CONTEXT to remove that registration too (k8ssandra uninstall --contexts ${p.target.cluster.ctx.name} --control-plane CONTEXT)` }));
}

async function crdCheck(p: ClusterPlan, force: boolean): Promise<Check> {
  const context = p.target.cluster.ctx.name;
  const crds = p.removals.filter((r) => r.action === 'delete' && r.object.kind === 'CustomResourceDefinition').map((r) => r.object);
  const found = await customResourcesOf(p.target.cluster.client, crds);
  if (!found.length) return check('CUSTOM-RESOURCES', 'pass', `${context}: no custom resources of the CRDs to delete`, { context });
  const list = `${found.slice(0, 3).join(', ')}${found.length > 3 ? ` and ${found.length - 3} more` : ''}`;
  return force
    ? check('CUSTOM-RESOURCES', 'warn', `${context}: deleting the CRDs deletes ${found.length} custom resource(s) with them (--force): ${list}`, { context })
    : check('CUSTOM-RESOURCES', 'fail', `${context}: ${found.length} custom resource(s) still exist: ${list}; deleting the CRDs would delete them and their data`,
      { context, hint: 'delete them first (kubectl delete k8ssandraclusters --all -A), keep the CRDs (drop --delete-crds), or pass --force' });
}

function registrationReports(p: ClusterPlan, namespace: string): RegistrationReport[] {
  const actionOf = (o: KubeObject) => p.target.objects[p.removals.findIndex((r) => r.object === o)]?.action ?? 'kept';
  return p.registrations.map((r) => ({ context: r.context, clientConfig: r.clientConfig.metadata.name, secret: r.secret?.metadata.name ?? '',
    serviceAccount: `${namespace}/${CONTROL_PLANE_SA}`, server: '', verified: false, action: actionOf(r.clientConfig) }));
}
