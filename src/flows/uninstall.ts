import { check, failed, type Check } from '../checks/catalog.js';
import { CliError, describe } from '../errors.js';
import { CONTROL_PLANE_SA } from '../plan/registration.js';
import { refOf, type KubeObject } from '../kube/resources.js';
import { loadOperatorRelease, renderForCluster, type OperatorRelease } from '../manifests/operator-release.js';
import { inUseChecks, type InUseInput } from '../plan/in-use.js';
import { PHASES, planRemoval, type Removal } from '../plan/uninstall.js';
import { countChanges, type ClusterReport, type ObjectAction, type RegistrationReport } from '../report/model.js';
import { connect, type Cluster } from '../steps/connect.js';
import { readInstallRecords } from '../steps/install-record.js';
import { recordedOperatorSource, type InstallRecord } from '../plan/install-record.js';
import { findOperators, type ExistingOperator } from '../steps/preflight.js';
import { customResourcesOf, deleteRemovals, findInstalled, findK8ssandraClusters, findLocalDatacenters, findRegistrations, waitGone,
  type FoundRegistration } from '../steps/uninstall.js';
import type { Reporter } from '../ui/reporter.js';
import { deadlineFrom } from '../util/wait.js';
import type { ClusterFlowOptions, FlowResult } from './result.js';

/** `contexts`: the clusters to uninstall from; `controlPlane`: one that stays, to remove their registrations from. */
export interface UninstallOptions extends ClusterFlowOptions {
  operatorVersion?: string;
  manifests?: string;
  clusterScoped: boolean;
  deleteCrds: boolean;
  confirm: (question: string) => Promise<boolean>;
}

interface ClusterPlan { cluster: Cluster; operator?: ExistingOperator; registrations: FoundRegistration[]; removals: Removal[]; uninstall: boolean }

/**
 * `uninstall`: removes what k8ssandra installed (the operator release and the registrations) and
 * nothing else: only objects that our field manager wrote are deleted; CRDs, custom resources and
 * data stay unless --delete-crds (refused while custom resources exist, unless --force); namespaces
 * and cert-manager always stay. Safe to interrupt and to repeat: it works from what exists.
 */
export async function runUninstall(o: UninstallOptions, ui: Reporter, out: FlowResult): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  out.dryRun = o.dryRun;
  const remoteCp = o.controlPlane && !o.contexts.includes(o.controlPlane) ? o.controlPlane : undefined;
  const clusters = await ui.step('Resolve contexts', async (s) => {
    const cs = await connect({ kubeconfig: o.kubeconfig, contexts: [...o.contexts, ...(remoteCp ? [remoteCp] : [])], log: ui.verbose,
      signal: o.interrupt?.signal, deadline, requestTimeoutMs: o.requestTimeoutMs });
    for (const c of cs) s.note(`${c.ctx.name} -> ${c.ctx.server}${c.ctx.name === remoteCp ? ' (control plane: registrations only)' : ''}`);
    return cs;
  });
  if (o.force) {
    ui.warn(`--force: ${o.deleteCrds ? 'CRDs are deleted even where custom resources exist, and those custom resources with them; ' : ''}`
      + 'data planes that K8ssandraClusters use are uninstalled anyway');
  }

  const plans = await ui.step('Find what k8ssandra installed', async (s) => {
    const operators = new Map<string, ExistingOperator | undefined>();
    await Promise.all(clusters.map(async (c) => operators.set(c.ctx.name, (await findOperators(c.client)).find((op) => op.namespace === o.namespace))));
    const records = await readInstallRecords(clusters, o.namespace);
    const releases = await releasesFor(o, [...operators.values()], [...records.values()]);
    const uninstalled = new Set(o.contexts);
    const ps = await Promise.all(clusters.map(async (c): Promise<ClusterPlan> => {
      const operator = operators.get(c.ctx.name);
      const uninstall = uninstalled.has(c.ctx.name);
      const registrations = await findRegistrations(c.client, o.namespace, uninstall ? undefined : uninstalled);
      const release = uninstall ? renderForCluster(releases.get(o.clusterScoped || !!operator?.clusterScoped)!, 'data-plane', o.namespace) : [];
      const existing = uninstall ? await findInstalled(c.client, o.namespace, release, registrations) : registrations.flatMap((r) => [r.clientConfig, ...(r.secret ? [r.secret] : [])]);
      return { cluster: c, operator, registrations, uninstall, removals: planRemoval(existing, { deleteCrds: o.deleteCrds }) };
    }));
    for (const p of ps) {
      const del = p.removals.filter((r) => r.action === 'delete').length;
      s.note(`${p.cluster.ctx.name}: ${del} object(s) to delete, ${p.removals.length - del} kept`);
    }
    return ps;
  });

  out.checks.push(...registrationChecks(plans));
  await ui.step('Look for K8ssandraClusters that use these clusters', async (s) => {
    const checks = inUseChecks(await inUseInput(o, plans));
    out.checks.push(...checks);
    for (const c of checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
    const bad = failed(checks);
    if (bad.length) throw new CliError('checksFailed', bad[0]!.message, { hint: bad[0]!.hint });
  });
  if (o.deleteCrds) {
    await ui.step('Look for custom resources', async (s) => {
      const checks = await Promise.all(plans.filter((p) => p.uninstall).map(async (p) => crdCheck(p, o.force)));
      out.checks.push(...checks);
      for (const c of checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
      const bad = failed(checks);
      if (bad.length) throw new CliError('checksFailed', bad[0]!.message, { hint: bad[0]!.hint });
    });
  }

  const total = plans.reduce((n, p) => n + p.removals.filter((r) => r.action === 'delete').length, 0);
  const actions = new Map<Removal, ObjectAction>(plans.flatMap((p) => p.removals.map((r) => [r, 'kept' as ObjectAction])));
  if (total && !o.dryRun && !(await o.confirm(`Delete ${total} object(s) from ${plans.map((p) => p.cluster.ctx.name).join(', ')}? (${o.deleteCrds ? 'CRDs and custom resources too' : 'CRDs, custom resources and data are kept'})`))) {
    throw new CliError('interrupted', 'uninstall cancelled', { hint: 'pass --yes to uninstall without asking' });
  }

  if (total) {
    await ui.step(o.dryRun ? 'Delete (server-side dry run)' : 'Delete', async (s) => {
      // Phase by phase across every cluster: registrations go before anything they depend on.
      for (const phase of PHASES) {
        await Promise.all(plans.map(async (p) => {
          const { deleted, changedMeanwhile } = await deleteRemovals(p.cluster.client, p.removals.filter((r) => r.action === 'delete' && r.phase === phase), { dryRun: o.dryRun });
          for (const r of deleted) actions.set(r, 'deleted');
          for (const r of changedMeanwhile) s.note(`${ui.style.mark.warn} ${p.cluster.ctx.name}: ${refOf(r.object)} was replaced meanwhile: kept`);
        }));
      }
    });
    if (o.wait && !o.dryRun) {
      await ui.step('Wait until the deleted objects are gone', async () => {
        await Promise.all(plans.map((p) => waitGone(p.cluster.client, p.removals.filter((r) => actions.get(r) === 'deleted').map((r) => r.object), deadline)));
      });
    }
  }

  out.clusters.push(...plans.map((p) => clusterReport(p, actions, o.namespace)));
  out.registrations.push(...plans.flatMap((p) => registrationReports(p, actions, o.namespace)));
  const deleted = [...actions.values()].filter((a) => a === 'deleted').length;
  const kept = [...actions.values()].filter((a) => a === 'kept').length;
  out.summary = !total ? `nothing to uninstall: no object that k8ssandra created was found in ${plans.map((p) => p.cluster.ctx.name).join(', ')}`
    : o.dryRun ? `dry run: would delete ${deleted} object(s), keep ${kept}; nothing was changed`
      : `uninstalled: ${deleted} object(s) deleted, ${kept} kept (${o.deleteCrds ? 'namespaces' : 'CRDs, custom resources, namespaces'} and anything not created by k8ssandra)`;
  out.ok = deleted === total;
}

/**
 * What the in-use checks need. The control plane is --control-plane, else an uninstalled cluster that
 * runs the operator in control-plane mode; its K8ssandraClusters are listed where its operator watches.
 * A data plane counts only when uninstall deletes something of it (its objects, or its registration).
 * It is known to the control plane by its ClientConfig's spec.contextName (install writes the user's
 * context name there; a registration made under another name is found by our context annotation).
 * Without a control plane, each data plane's own CassandraDatacenters are read instead.
 */
async function inUseInput(o: UninstallOptions, plans: ClusterPlan[]): Promise<InUseInput> {
  const cpName = o.controlPlane ?? plans.find((p) => p.uninstall && p.operator?.mode === 'control-plane')?.cluster.ctx.name;
  const cpPlan = plans.find((p) => p.cluster.ctx.name === cpName);
  const deleted = (p: ClusterPlan, obj: KubeObject) => p.removals.some((r) => r.object === obj && r.action === 'delete');
  const registrationOf = (context: string) => cpPlan?.registrations.find((r) => r.context === context);
  const touched = plans.filter((p) => p.uninstall && p !== cpPlan).filter((p) => p.removals.some((r) => r.action === 'delete')
    || (cpPlan && registrationOf(p.cluster.ctx.name) && deleted(cpPlan, registrationOf(p.cluster.ctx.name)!.clientConfig)));
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
    const r = await listed(() => findK8ssandraClusters(cpPlan.cluster.client, ns, cpPlan.operator ? !!cpPlan.operator.clusterScoped : true));
    controlPlane = { context: cpPlan.cluster.ctx.name, uninstalled: cpPlan.uninstall, ...(r.value ? { clusters: r.value } : { problem: r.problem }) };
  }
  const dataPlanes: InUseInput['dataPlanes'] = [];
  await Promise.all(touched.map(async (p) => {
    const context = p.cluster.ctx.name;
    const knownAs: string = registrationOf(context)?.clientConfig.spec?.contextName || context;
    if (cpPlan) return void dataPlanes.push({ context, knownAs });
    const r = await listed(() => findLocalDatacenters(p.cluster.client));
    // Without a control plane, a cluster whose operator is gone already (a second run, or the former
    // control plane) and that runs no datacenter of a K8ssandraCluster is no data plane to ask about.
    if (!p.operator && r.value && !r.value.some((d) => d.cluster)) return;
    dataPlanes.push({ context, knownAs, ...(r.value ? { datacenters: r.value } : { problem: r.problem }) });
  }));
  dataPlanes.sort((a, b) => touched.findIndex((p) => p.cluster.ctx.name === a.context) - touched.findIndex((p) => p.cluster.ctx.name === b.context));
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
    && !unregistered.has(p.cluster.ctx.name))
    .map((p) => check('REGISTRATION-REMOVED', 'warn', `${p.cluster.ctx.name}: may still be registered with a control plane that was not named: its ClientConfig there stops working`,
      { context: p.cluster.ctx.name, hint: `pass --control-plane CONTEXT to remove that registration too (k8ssandra uninstall --contexts ${p.cluster.ctx.name} --control-plane CONTEXT)` }));
}

async function crdCheck(p: ClusterPlan, force: boolean): Promise<Check> {
  const context = p.cluster.ctx.name;
  const crds = p.removals.filter((r) => r.action === 'delete' && r.object.kind === 'CustomResourceDefinition').map((r) => r.object);
  const found = await customResourcesOf(p.cluster.client, crds);
  if (!found.length) return check('CUSTOM-RESOURCES', 'pass', `${context}: no custom resources of the CRDs to delete`, { context });
  const list = `${found.slice(0, 3).join(', ')}${found.length > 3 ? ` and ${found.length - 3} more` : ''}`;
  return force
    ? check('CUSTOM-RESOURCES', 'warn', `${context}: deleting the CRDs deletes ${found.length} custom resource(s) with them (--force): ${list}`, { context })
    : check('CUSTOM-RESOURCES', 'fail', `${context}: ${found.length} custom resource(s) still exist: ${list}; deleting the CRDs would delete them and their data`,
      { context, hint: 'delete them first (kubectl delete k8ssandraclusters --all -A), keep the CRDs (drop --delete-crds), or pass --force' });
}

function clusterReport(p: ClusterPlan, actions: Map<Removal, ObjectAction>, namespace: string): ClusterReport {
  const objects = p.removals.map((r) => ({ ref: refOf(r.object), action: actions.get(r)!, ...(r.reason ? { reason: r.reason } : {}) }));
  const counted = countChanges(objects);
  const changes = { ...counted, deleted: counted.deleted ?? 0, kept: counted.kept ?? 0 };
  return { context: p.cluster.ctx.name, role: p.operator?.mode ?? 'none', server: p.cluster.ctx.server, namespace, operatorVersion: p.operator?.version,
    ready: false, changes, objects, elapsedMs: 0 };
}

function registrationReports(p: ClusterPlan, actions: Map<Removal, ObjectAction>, namespace: string): RegistrationReport[] {
  const actionOf = (o: KubeObject) => actions.get(p.removals.find((r) => r.object === o)!) ?? 'kept';
  return p.registrations.map((r) => ({ context: r.context, clientConfig: r.clientConfig.metadata.name, secret: r.secret?.metadata.name ?? '',
    serviceAccount: `${namespace}/${CONTROL_PLANE_SA}`, server: '', verified: false, action: actionOf(r.clientConfig) }));
}
