import { check, type Check } from '../checks/catalog.js';
import { gate } from '../checks/gate.js';
import { applyAll, waitCrdsEstablished, waitDeploymentsAvailable } from '../kube/apply.js';
import { OPERATOR_DEPLOYMENT } from '../manifests/operator-release.js';
import { refOf } from '../model/object.js';
import { deleteObject, getObject } from '../kube/resources.js';
import { installRecordObject, type InstallRecord } from '../plan/install-record.js';
import { describeInstaller, foreignHint, installedBy } from '../plan/installed-by.js';
import { hasChanges, plannedActions, summarizePlan, upgradeStages, type ClusterUpgradePlan, type StageName } from '../plan/upgrade.js';
import { downgradeRisks } from '../plan/version-change.js';
import type { ClusterFlowOptions } from '../run/flow-options.js';
import { forEachCluster } from '../run/fan-out.js';
import { connectedRun, must, type OperatorRun } from '../run/operator-run.js';
import type { ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import type { Target } from '../run/target.js';
import { confirm, warnForce } from '../steps/confirm.js';
import { recordFor } from '../plan/install-record.js';
import { loadRelease } from '../steps/load-release.js';
import { register } from '../steps/register.js';
import { lockTheClusters } from '../steps/lock.js';
import { resolveContexts } from '../steps/resolve-contexts.js';
import { loadInstalledReleases, readClusterUpgradePlan, readInstalledCrds } from '../kube/upgrade-read.js';
import type { Reporter } from '../ui/reporter.js';

export interface UpgradeOptions extends ClusterFlowOptions {
  operatorVersion?: string;
  manifests?: string;
  confirm: (question: string) => Promise<boolean>;
}

interface UpgradeRun extends OperatorRun {
  plans: ClusterUpgradePlan[];
}

/**
 * `upgrade`: read what each cluster has (its install record), load the new release, plan per cluster
 * (objects added, changed, removed), refuse a downgrade or someone else's install unless --force, then
 * move every cluster in the order that never runs an operator against CRDs older than it expects:
 * CRDs everywhere, the data planes' operators, the control plane's (docs/upgrade.md). The install
 * record says "upgrading to" until a cluster is there, so an interrupted upgrade converges on a re-run
 * and status tells an upgrade from version skew. Registrations stay as they are, verified at the end.
 */
const upgradeSteps = (o: UpgradeOptions): Step<UpgradeRun>[] => [
  resolveContexts(o),
  warnForce('a downgrade, and an operator another tool installed, are upgraded anyway'),
  readInstalled,
  loadRelease,
  planUpgrade,
  lockTheClusters(),
  confirm((ctx) => (ctx.plans.some(hasChanges) ? `Upgrade ${changing(ctx).join(', ')} to k8ssandra-operator ${ctx.release!.version}?` : undefined), 'upgrade', o.confirm),
  markUpgrading,
  stage('crds', 'Upgrade the CRDs in every cluster'),
  stage('data-planes', 'Upgrade the data planes\' operators'),
  stage('control-plane', 'Upgrade the control plane\'s operator'),
  { ...register, title: 'Verify the registrations', skip: (ctx) => ctx.dryRun || !ctx.dataPlanes.length },
  summarize,
];

export async function runUpgrade(o: UpgradeOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  const ctx: UpgradeRun = {
    ...connectedRun(o, ui, report),
    releaseSource: { manifests: o.manifests, operatorVersion: o.operatorVersion },
    certManagerSource: { skipCertManager: true },
    // Registrations are only verified: working credentials are kept as they are (a long lifetime: never renewed here),
    // and so is the address each one names, whatever address the kubeconfig reaches the data plane at.
    registration: { clusterScoped: false, tokenTtlSeconds: 365 * 86400, apiServers: {}, keepServers: true },
    installInto: [], peers: [], records: new Map(), facts: [], plans: [],
  };
  await runSteps(ctx, upgradeSteps(o));
}

const changing = (ctx: UpgradeRun) => ctx.plans.filter(hasChanges).map((p) => p.context);

/** Every cluster must have been installed by k8ssandra (its install record says from what), in the role its place in --contexts gives it. */
const readInstalled: Step<UpgradeRun> = {
  title: 'Read what is installed',
  async run(ctx, s) {
    const checks: Check[] = [];
    await forEachCluster('read', ctx.targets, async (t) => {
      const context = t.cluster.ctx.name;
      const [record, deployment, version] = await Promise.all([
        getObject(t.cluster.client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ctx.namespace, name: 'k8ssandra-install' })
          .then(async (cm) => (await import('../plan/install-record.js')).parseInstallRecord(cm)),
        getObject(t.cluster.client, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ctx.namespace, name: OPERATOR_DEPLOYMENT }),
        t.cluster.client.request<{ gitVersion?: string }>({ path: '/version' }),
      ]);
      t.kubernetesVersion = version.gitVersion;
      if (record) ctx.records.set(context, record);
      checks.push(...installedChecks(t, record, deployment, ctx));
      t.operatorVersion = record?.operatorVersion;
      t.cassOperatorVersion = record?.cassOperatorVersion;
      if (record) s.note(`${context}: ${record.role} ${record.operatorVersion}${record.upgradingTo ? ` (an upgrade to ${record.upgradingTo} did not finish)` : ''} from ${record.operatorSource}`);
    });
    checks.sort((a, b) => ctx.targets.findIndex((t) => t.cluster.ctx.name === a.context) - ctx.targets.findIndex((t) => t.cluster.ctx.name === b.context));
    gate(checks, ctx, s);
    // One installation has one scope: the new release is loaded in it.
    const scoped = [...ctx.records.values()].some((r) => r.clusterScoped);
    ctx.releaseSource = { ...ctx.releaseSource, clusterScoped: scoped };
    ctx.registration = { ...ctx.registration, clusterScoped: scoped };
  },
};

function installedChecks(t: Target, record: InstallRecord | undefined, deployment: { metadata: any } | null, ctx: UpgradeRun): Check[] {
  const context = t.cluster.ctx.name;
  const owner = deployment ? installedBy(deployment.metadata) : undefined;
  if (owner && owner.by !== 'k8ssandra') {
    const message = `${context}: the operator was ${describeInstaller(owner)}`;
    return [ctx.force ? check('OPERATOR-OWNER', 'warn', `${message}; taken over (--force)`, { context })
      : check('OPERATOR-OWNER', 'fail', message, { context, hint: foreignHint(owner, 'upgrade') })];
  }
  if (!record) {
    return [check('OPERATOR-EXISTING', 'fail', `${context} has no k8ssandra install record in namespace ${ctx.namespace}: nothing k8ssandra installed to upgrade`,
      { context, hint: `install it first (k8ssandra install --contexts ${ctx.targets.map((x) => x.cluster.ctx.name).join(',')}), or pass the namespace with -n` })];
  }
  if (record.role !== t.role) {
    return [check('OPERATOR-EXISTING', 'fail', `${context} runs the operator as ${record.role}, not ${t.role}`,
      { context, hint: 'name the control plane first in --contexts, or with --control-plane' })];
  }
  return [check('OPERATOR-EXISTING', 'pass', `${context}: ${record.role} ${record.operatorVersion}, installed by k8ssandra`, { context })];
}

/** Per cluster: both releases as it gets them, compared with what exists; a downgrade is refused unless --force. */
const planUpgrade: Step<UpgradeRun> = {
  title: 'Plan the upgrade',
  async run(ctx, s) {
    const release = must(ctx.release, 'the release');
    const installed = await loadInstalledReleases(ctx.records);
    ctx.plans = [];
    await forEachCluster('plan', ctx.targets, async (t) => {
      const context = t.cluster.ctx.name;
      ctx.plans.push(await readClusterUpgradePlan(t.cluster.client, { context, record: ctx.records.get(context)!, installed: installed.get(context)!,
        target: release, namespace: ctx.namespace }));
    });
    ctx.plans.sort((a, b) => ctx.targets.findIndex((t) => t.cluster.ctx.name === a.context) - ctx.targets.findIndex((t) => t.cluster.ctx.name === b.context));
    // A dry run writes nothing: its table counts what the plan would do.
    if (ctx.dryRun) for (const p of ctx.plans) ctx.targets.find((t) => t.cluster.ctx.name === p.context)!.objects.push(...plannedActions(p));
    for (const p of ctx.plans) {
      s.note(!hasChanges(p) ? `${p.context}: already at ${p.to.operator}`
        : `${p.context}: ${p.from.operator} -> ${p.to.operator}: ${p.added.length} added, ${p.changed.length} changed, ${p.removed.length} removed, ${p.kept.length} kept`);
    }
    ctx.report.upgrade = { to: release.version, clusters: ctx.plans.map(summarizePlan) };
    const checks: Check[] = [];
    for (const p of ctx.plans.filter((x) => x.direction === 'downgrade')) {
      const t = ctx.targets.find((x) => x.cluster.ctx.name === p.context)!;
      const older = installed.get(p.context)!;
      const crds = (await import('../manifests/operator-release.js')).renderForCluster(release, p.role, ctx.namespace).filter((o) => o.kind === 'CustomResourceDefinition');
      const live = await readInstalledCrds(t.cluster.client, crds.map((c) => c.metadata.name));
      const risks = downgradeRisks({ installedCrds: live, installed: crds, older: p.apply.filter((o) => o.kind === 'CustomResourceDefinition'), olderVersion: p.to.operator });
      void older;
      const what = risks.length ? `: ${risks.map((r) => r.message).slice(0, 2).join('; ')}${risks.length > 2 ? ` and ${risks.length - 2} more` : ''}` : '';
      checks.push(ctx.force && !risks.some((r) => r.blocking)
        ? check('UPGRADE-DIRECTION', 'warn', `${p.context}: downgrade from ${p.from.operator} to ${p.to.operator} (--force)${what}`, { context: p.context })
        : check('UPGRADE-DIRECTION', 'fail', `${p.context}: ${p.to.operator} is older than the installed ${p.from.operator}: a downgrade${what}`, { context: p.context,
          hint: risks.some((r) => r.blocking) ? 'objects are stored in a CRD version the older release does not know: a downgrade would lose them; do not downgrade'
            : 'pass --force to downgrade anyway (fields only the newer CRDs know are dropped from objects the older operator writes)' }));
    }
    for (const p of ctx.plans.filter((x) => x.foreign.length)) {
      checks.push(ctx.force ? check('OPERATOR-OWNER', 'warn', `${p.context}: ${p.foreign.length} object(s) of the release were installed by another tool; taken over (--force)`, { context: p.context })
        : check('OPERATOR-OWNER', 'fail', `${p.context}: ${p.foreign[0]!.ref} ${p.foreign[0]!.reason}${p.foreign.length > 1 ? ` (and ${p.foreign.length - 1} more)` : ''}`,
          { context: p.context, hint: 'pass --force to take them over, or upgrade them with the tool that installed them' }));
    }
    gate(checks, ctx, s);
  },
};

/** Each cluster's record says where it is going until it is there: status then reports an upgrade, not version skew. */
const markUpgrading: Step<UpgradeRun> = {
  title: 'upgrading', quiet: true, skip: (ctx) => ctx.dryRun || !ctx.plans.some(hasChanges),
  async run(ctx) {
    ctx.changing = true;
    const to = must(ctx.release, 'the release').version;
    await forEachCluster('mark', ctx.targets.filter((t) => changing(ctx).includes(t.cluster.ctx.name)), async (t) => {
      const record = ctx.records.get(t.cluster.ctx.name)!;
      await applyAll(t.cluster.client, [installRecordObject(ctx.namespace, { ...record, upgradingTo: to })], { force: ctx.force });
    });
  },
};

/** One stage of the order (upgradeStages): apply, wait (CRDs Established, Deployments available), then remove what the new release has no more. */
const stage = (name: StageName, title: string): Step<UpgradeRun> => ({
  title,
  skip: (ctx) => ctx.dryRun || !work(ctx, name).length,
  async run(ctx, s) {
    const release = must(ctx.release, 'the release');
    const works = work(ctx, name);
    await forEachCluster(name, ctx.targets.filter((t) => works.some((w) => w.context === t.cluster.ctx.name)), async (t) => {
      const w = works.find((x) => x.context === t.cluster.ctx.name)!;
      const { client } = t.cluster;
      const started = Date.now();
      const applied = await applyAll(client, w.apply, { force: ctx.force });
      t.objects.push(...applied);
      await waitCrdsEstablished(client, w.apply.filter((o) => w.waitEstablished.includes(o.metadata.name) && o.kind === 'CustomResourceDefinition'), ctx.deadline);
      for (const [ns, names] of groupBy(w.waitDeployments)) await waitDeploymentsAvailable(client, ns, names, ctx.deadline);
      for (const o of w.remove) {
        await deleteObject(client, { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }, { uid: o.metadata.uid });
        t.objects.push({ ref: refOf(o), action: 'deleted' });
      }
      if (name !== 'crds') {
        // The record last: until it is written, a re-run plans from the old release again (and converges).
        const before = ctx.records.get(t.cluster.ctx.name)!;
        const record = recordFor(before.role, release, undefined, before);
        t.objects.push(...await applyAll(client, [installRecordObject(ctx.namespace, record)], { force: ctx.force }));
        t.operatorVersion = release.version;
        t.cassOperatorVersion = release.cassOperatorVersion;
        t.ready = true;
      }
      t.elapsedMs += Date.now() - started;
      const changed = applied.filter((a) => a.action !== 'unchanged').length;
      s.note(`${t.cluster.ctx.name}: ${changed} object(s) applied${w.remove.length ? `, ${w.remove.length} removed` : ''}`);
    });
  },
});

/** The work of a stage for the clusters whose plan changes something or whose record still says otherwise. */
function work(ctx: UpgradeRun, name: StageName) {
  const to = ctx.release?.version;
  const due = (p: ClusterUpgradePlan) => hasChanges(p) || ctx.records.get(p.context)?.operatorVersion !== to || !!ctx.records.get(p.context)?.upgradingTo;
  return upgradeStages(ctx.plans.filter(due)).find((s) => s.name === name)?.clusters ?? [];
}

function groupBy(ds: { namespace: string; name: string }[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const d of ds) m.set(d.namespace, [...(m.get(d.namespace) ?? []), d.name]);
  return m;
}

const summarize: Step<UpgradeRun> = {
  title: 'summary', quiet: true,
  async run(ctx) {
    const to = ctx.release!.version;
    const moving = changing(ctx);
    const from = [...new Set(ctx.plans.filter(hasChanges).map((p) => p.from.operator))].join(', ');
    const counts = ctx.plans.reduce((n, p) => ({ added: n.added + p.added.length, changed: n.changed + p.changed.length, removed: n.removed + p.removed.length }),
      { added: 0, changed: 0, removed: 0 });
    const what = `${counts.added} added, ${counts.changed} changed, ${counts.removed} removed`;
    ctx.report.summary = !moving.length ? `every cluster already runs k8ssandra-operator ${to}: nothing to upgrade`
      : ctx.dryRun ? `dry run: would upgrade ${moving.join(', ')} from ${from} to ${to} (${what}); nothing was changed`
        : `upgraded ${moving.join(', ')} from ${from} to ${to} (${what})`;
    for (const t of ctx.targets) if (!moving.includes(t.cluster.ctx.name)) t.ready = true;
    ctx.report.ok = true;
  },
};
