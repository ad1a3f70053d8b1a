import { check, type Check } from '../checks/catalog.js';
import { gate } from '../checks/gate.js';
import { CliError } from '../errors.js';
import { applyAll } from '../kube/apply.js';
import { connect, type Cluster } from '../kube/connect.js';
import { installCluster } from '../kube/install-release.js';
import { readInstallRecords } from '../kube/install-record.js';
import { readControlPlaneObjects, readDataPlane, readSecrets, removeCopy, waitGone, waitOperatorMode } from '../kube/move.js';
import { findOperators } from '../kube/operators.js';
import { managedByUs } from '../model/field-manager.js';
import { refOf, type KubeObject } from '../model/object.js';
import { applyStatus, deleteObject, getObject, listObjects } from '../kube/resources.js';
import { CLIENT_CONFIG } from '../model/kinds.js';
import type { ControlPlaneExport } from '../plan/export.js';
import { readExport } from './export.js';
import { installRecordObject, type InstallRecord } from '../plan/install-record.js';
import {
  hostsDatacenters, movedK8ssandraCluster, movedObject, movedReplicatedSecret, movedSecret, movedStatus, movePhase, moveReadiness, planMove,
  secretsToMove, type ControlPlaneObjects, type DataPlaneObject, type MovePhase, type MoveStep,
} from '../plan/move.js';
import { forEachCluster } from '../run/fan-out.js';
import { connectedRun, must, type OperatorRun } from '../run/operator-run.js';
import type { ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import { newTarget, type Target } from '../run/target.js';
import { confirm, warnForce } from '../steps/confirm.js';
import { loadRelease } from '../steps/load-release.js';
import { lockTheClusters } from '../steps/lock.js';
import { register } from '../steps/register.js';
import type { Reporter } from '../ui/reporter.js';
import type { Interrupt } from '../util/interrupt.js';

export interface MoveOptions {
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  /** The old control plane's context; absent with fromExport (the old control plane is lost). */
  from?: string;
  /** An export of the old control plane (k8ssandra export), used instead of reading it. */
  fromExport?: string;
  to: string;
  namespace: string;
  apiServers: Record<string, string>;
  tokenTtlSeconds: number;
  force: boolean;
  dryRun: boolean;
  timeoutMs: number;
  confirm: (question: string) => Promise<boolean>;
  interrupt?: Interrupt;
  requestTimeoutMs?: number;
}

interface MoveRun extends OperatorRun {
  from: string;
  to: string;
  fromTarget?: Target;
  toTarget?: Target;
  exported?: ControlPlaneExport;
  /** What the old control plane holds (read from it, or from the export). */
  source?: ControlPlaneObjects;
  phase?: MovePhase;
  plan: MoveStep[];
  /** Secrets to copy into the new control plane, from where they were found. */
  secrets: { name: string; from: string; object: KubeObject }[];
  missingSecrets: string[];
}

/**
 * `move-control-plane`: moves the control plane from one cluster to another with both reachable (or
 * from an export when the old one is lost), in the order that never has two control planes and has
 * none only while the new one starts:
 *   read where the move stands and refuse unless every datacenter is Ready and nothing runs;
 *   record the move in both install records; register every other cluster with the new control plane;
 *   copy Secrets, K8ssandraClusters (annotations and status), ReplicatedSecrets, K8ssandraTasks into it
 *   while its operator is still a data plane (which reconciles none of them); switch the old operator to
 *   data-plane mode and wait until no pod of it runs as control plane; switch the new one to control-plane
 *   mode; remove the old cluster's copies (finalizers first, orphaning dependents) and its ClientConfigs;
 *   write the final records. Every step reads the clusters first, so a re-run after a kill converges.
 */
const moveSteps = (o: MoveOptions): Step<MoveRun>[] => [
  resolveClusters(o),
  warnForce('fields that other field managers own will be taken over'),
  lockTheClusters(),
  readWhereItStands,
  readSourceObjects,
  checkQuiet,
  findSecrets,
  { ...loadRelease, skip: (ctx) => ctx.phase === 'done' },
  showPlan,
  confirm((ctx) => (ctx.plan.length ? `Move the control plane from ${ctx.from} to ${ctx.to}?` : undefined), 'move-control-plane', o.confirm),
  recordTheMove,
  { ...register, title: (ctx) => `Register ${ctx.dataPlanes.map((t) => t.cluster.ctx.name).join(', ')} with ${ctx.to}`, skip: (ctx) => ctx.dryRun || !due(ctx, 'register') },
  copyTheObjects,
  switchOld,
  copyAgain,
  switchNew,
  cleanUp,
  finish,
  summarize,
];

export async function runMoveControlPlane(o: MoveOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  const exported = o.fromExport ? readExport(o.fromExport) : undefined;
  const from = o.from ?? exported!.context;
  if (from === o.to) throw new CliError('usage', `--from and --to name the same context ${o.to}`, { hint: 'move the control plane to another cluster' });
  const ctx: MoveRun = {
    ...connectedRun({ ...o, contexts: [], wait: true }, ui, report),
    releaseSource: {}, certManagerSource: { skipCertManager: true },
    registration: { clusterScoped: false, tokenTtlSeconds: o.tokenTtlSeconds, apiServers: o.apiServers },
    installInto: [], peers: [], records: new Map(), facts: [],
    from, to: o.to, exported, plan: [], secrets: [], missingSecrets: [],
  };
  await runSteps(ctx, moveSteps(o));
}

/** The new control plane runs: its objects are the truth, and only the old cluster is left to clean up. */
const movedAlready = (ctx: MoveRun) => ctx.phase === 'moved' || ctx.phase === 'done' || ctx.phase === 'returned';

const due = (ctx: MoveRun, step: MoveStep['step']) => ctx.plan.some((s) => s.step === step);

/**
 * The old and new control planes, and every cluster registered with the old one (its ClientConfigs, or
 * the export's), each by the kubeconfig context of the same name.
 */
const resolveClusters = (o: MoveOptions): Step<MoveRun> => ({
  title: 'Resolve contexts',
  async run(ctx, s) {
    const [to] = await connect({ ...ctx.connection, contexts: [o.to] });
    const from = o.from ? (await connect({ ...ctx.connection, contexts: [o.from] }))[0] : undefined;
    const registered = ctx.exported?.objects.clientConfigs ?? (from ? (await readControlPlaneObjects(from.client, ctx.namespace)).clientConfigs : []);
    const others = [...new Set(registered.map((c) => c.contextName))].filter((c) => c !== ctx.from && c !== ctx.to);
    const clusters: Cluster[] = others.length ? await connect({ ...ctx.connection, contexts: others }).catch((e) => {
      throw new CliError('usage', `the data planes registered with ${ctx.from} (${others.join(', ')}) must be contexts of the kubeconfig: ${e.message}`,
        { hint: 'add their contexts to the kubeconfig under the names the ClientConfigs give (spec.contextName)' });
    }) : [];
    ctx.toTarget = newTarget(to!, 'control-plane');
    ctx.fromTarget = from ? newTarget(from, 'data-plane') : undefined;
    ctx.targets = [ctx.toTarget, ...(ctx.fromTarget ? [ctx.fromTarget] : []), ...clusters.map((c) => newTarget(c, 'data-plane'))];
    ctx.cp = ctx.toTarget;
    for (const t of ctx.targets) s.note(`${t.cluster.ctx.name} -> ${t.cluster.ctx.server}${t === ctx.toTarget ? ' (the new control plane)' : t === ctx.fromTarget ? ' (the old control plane)' : ''}`);
  },
});

/** Each cluster's operator and install record, and from them where the move stands. */
const readWhereItStands: Step<MoveRun> = {
  title: 'Read where the move stands',
  async run(ctx, s) {
    const checks: Check[] = [];
    ctx.records = await readInstallRecords(ctx.targets.map((t) => t.cluster), ctx.namespace);
    const modes = new Map<string, 'control-plane' | 'data-plane' | undefined>();
    await forEachCluster('read', ctx.targets, async (t) => {
      const context = t.cluster.ctx.name;
      const op = (await findOperators(t.cluster.client)).find((x) => x.namespace === ctx.namespace);
      modes.set(context, op?.mode);
      t.operatorVersion = op?.version;
      const record = ctx.records.get(context);
      checks.push(!op ? check('OPERATOR-EXISTING', 'fail', `${context} has no k8ssandra-operator in namespace ${ctx.namespace}`,
        { context, hint: context === ctx.to ? `install it as a data plane first: k8ssandra install --contexts ${ctx.from},${ctx.to}` : 'install it first (k8ssandra install)' })
        : !record ? check('OPERATOR-EXISTING', 'fail', `${context}: the operator has no k8ssandra install record in ${ctx.namespace}: it was not installed by k8ssandra`,
          { context, hint: 'a move switches operators between modes with the release k8ssandra installed; install it with k8ssandra first' })
          : check('OPERATOR-EXISTING', 'pass', `${context}: ${op.mode} ${op.version ?? ''}${record.movingTo ? ` (moving from ${record.movingFrom} to ${record.movingTo})` : ''}`.trim(), { context }));
    });
    const versions = new Set(ctx.targets.map((t) => t.operatorVersion).filter(Boolean));
    if (versions.size > 1) {
      checks.push(check('OPERATOR-EXISTING', 'fail', `the clusters run different operator versions: ${ctx.targets.map((t) => `${t.cluster.ctx.name} ${t.operatorVersion}`).join(', ')}`,
        { hint: 'upgrade them to one release first (k8ssandra upgrade), then move' }));
    }
    const leftInFrom = ctx.fromTarget ? (await readControlPlaneObjects(ctx.fromTarget.cluster.client, ctx.namespace)).k8ssandraClusters.length : 0;
    // A lost control plane (an export) counts as switched: it reconciles nothing any more.
    const fromMode = ctx.fromTarget ? modes.get(ctx.from) : 'data-plane';
    ctx.phase = movePhase({ fromMode, toMode: modes.get(ctx.to), leftInFrom, toRecordRole: ctx.records.get(ctx.to)?.role });
    const others = ctx.targets.filter((t) => t !== ctx.toTarget && t !== ctx.fromTarget);
    for (const t of others.filter((x) => modes.get(x.cluster.ctx.name) === 'control-plane')) {
      checks.push(check('OPERATOR-EXISTING', 'fail', `${t.cluster.ctx.name} runs the operator as control-plane`, { context: t.cluster.ctx.name, hint: 'only one control plane may run' }));
    }
    if (ctx.phase === 'conflict') {
      checks.push(check('OPERATOR-EXISTING', 'fail', `${ctx.from} and ${ctx.to} both run the operator as control-plane`,
        { hint: 'only one may run: scale the one that is not the control plane down (kubectl scale deployment k8ssandra-operator --replicas 0), then reinstall it as a data plane' }));
    }
    if (!ctx.fromTarget && modes.get(ctx.to) === 'control-plane' && ctx.records.get(ctx.to)?.movingFrom !== ctx.from) {
      checks.push(check('OPERATOR-EXISTING', 'fail', `${ctx.to} already runs the control plane`, { context: ctx.to, hint: 'move to a cluster that runs the operator as a data plane' }));
    }
    const record = ctx.records.get(ctx.to) ?? ctx.records.get(ctx.from);
    ctx.releaseSource = { operatorVersion: record?.operatorVersion, clusterScoped: record?.clusterScoped };
    ctx.registration = { ...ctx.registration, clusterScoped: !!record?.clusterScoped };
    s.note(`${ctx.from}: ${ctx.fromTarget ? modes.get(ctx.from) ?? 'no operator' : `lost (export of ${ctx.exported!.exportedAt})`}; ${ctx.to}: ${modes.get(ctx.to) ?? 'no operator'}: ${describePhase(ctx.phase, ctx)}`);
    gate(checks, ctx, s);
  },
};

function describePhase(p: MovePhase, ctx: MoveRun): string {
  switch (p) {
    case 'start': return `${ctx.from} runs the control plane${ctx.records.get(ctx.to)?.movingTo ? '; an earlier move stopped before switching it' : ''}`;
    case 'switched': return `neither runs the control plane: an earlier move stopped between the switches; ${ctx.from}'s objects are the truth`;
    case 'moved': return `${ctx.to} runs the control plane; ${ctx.from} still holds copies to remove`;
    case 'returned': return `both run the control plane: ${ctx.from} came back after the move from its export; it is switched to data-plane mode and cleaned up`;
    case 'done': return `${ctx.to} already runs the control plane and ${ctx.from} holds nothing: nothing to move`;
    default: return 'both run the control plane';
  }
}

/** What the move carries: from the old control plane while it is the truth, from the export, or (moved) from the new one. */
const readSourceObjects: Step<MoveRun> = {
  title: (ctx) => `Read what ${movedAlready(ctx) ? ctx.to : ctx.exported ? 'the export' : ctx.from} holds`,
  async run(ctx, s) {
    const truth = movedAlready(ctx) ? ctx.toTarget! : ctx.exported ? undefined : ctx.fromTarget!;
    ctx.source = truth ? await readControlPlaneObjects(truth.cluster.client, ctx.namespace) : ctx.exported!.objects;
    const src = ctx.source;
    s.note(`${src.k8ssandraClusters.length} K8ssandraCluster(s) (${src.k8ssandraClusters.map((k) => k.metadata.name).join(', ') || 'none'}), `
      + `${src.replicatedSecrets.length} ReplicatedSecret(s), ${src.k8ssandraTasks.length} K8ssandraTask(s)`);
    // The old control plane stays a data plane of the installation: it is registered with the new one (its own
    // datacenters need it; without any it is still a data plane that status expects registered). A lost one cannot be.
    ctx.dataPlanes = ctx.targets.filter((t) => t !== ctx.toTarget && (t !== ctx.fromTarget || (ctx.phase !== 'moved' && ctx.phase !== 'done')));
    if (!ctx.fromTarget && hostsDatacenters(src.k8ssandraClusters)) {
      gate([check('MOVE-LOST-DATACENTERS', 'warn', `datacenters ran in the lost control plane ${ctx.from}: they keep k8sContext ${ctx.from}, which ${ctx.to} cannot reach`,
        { hint: `register ${ctx.from} with ${ctx.to} if it comes back (k8ssandra register --contexts ${ctx.to},${ctx.from}), or remove those datacenters from the K8ssandraCluster` })], ctx, s);
    }
  },
};

/** Refuses (exit 3) unless every datacenter is Ready and no decommission, rebuild or task is under way; not needed once moved. */
const checkQuiet: Step<MoveRun> = {
  title: 'Check that every datacenter is Ready and nothing runs',
  skip: movedAlready,
  async run(ctx, s) {
    const datacenters: DataPlaneObject[] = [];
    const tasks: DataPlaneObject[] = [];
    await forEachCluster('read', ctx.targets, async (t) => {
      const r = await readDataPlane(t.cluster.client, ctx.namespace);
      datacenters.push(...r.datacenters);
      tasks.push(...r.tasks);
    });
    gate(moveReadiness(must(ctx.source, 'the objects'), datacenters, tasks), ctx, s);
  },
};

/**
 * The Secrets the K8ssandraClusters need, each from where it is: the old control plane, else (an export)
 * the new one or a data plane that holds a replica; what is found nowhere is named (MOVE-SECRETS).
 */
const findSecrets: Step<MoveRun> = {
  title: 'Find the Secrets the K8ssandraClusters use',
  skip: movedAlready,
  async run(ctx, s) {
    const src = must(ctx.source, 'the objects');
    const where = ctx.exported ? [ctx.toTarget!, ...ctx.dataPlanes] : [ctx.fromTarget!];
    const found = await Promise.all(where.map(async (t) => ({ t, secrets: await readSecrets(t.cluster.client, ctx.namespace) })));
    const names = ctx.exported ? ctx.exported.secrets.map((x) => x.name) : secretsToMove(src, found[0]!.secrets);
    for (const name of names) {
      const hit = found.map((f) => ({ f, object: f.secrets.find((x) => x.metadata.name === name) })).find((x) => x.object);
      if (hit) ctx.secrets.push({ name, from: hit.f.t.cluster.ctx.name, object: hit.object! });
      else ctx.missingSecrets.push(name);
    }
    s.note(ctx.secrets.length ? ctx.secrets.map((x) => `${x.name} (from ${x.from})`).join(', ') : 'none');
    gate([ctx.missingSecrets.length
      ? check('MOVE-SECRETS', ctx.force ? 'warn' : 'fail', `Secret(s) found in no reachable cluster: ${ctx.missingSecrets.join(', ')}`,
        { hint: `create them in ${ctx.namespace} of ${ctx.to} with the data they had (the operator would otherwise make new ones, e.g. a new superuser password the nodes do not know), then run the move again; --force moves without them` })
      : check('MOVE-SECRETS', 'pass', `every Secret the K8ssandraClusters use was found (${ctx.secrets.length})`)], ctx, s);
  },
};

const showPlan: Step<MoveRun> = {
  title: (ctx) => (ctx.dryRun ? 'The plan (dry run: nothing is changed)' : 'Plan the move'),
  async run(ctx, s) {
    const src = must(ctx.source, 'the objects');
    ctx.plan = planMove({ from: ctx.from, to: ctx.to, phase: ctx.phase!, registered: ctx.dataPlanes.map((t) => t.cluster.ctx.name),
      clusters: src.k8ssandraClusters.map((k) => k.metadata.name), secrets: ctx.secrets.map((x) => x.name), tasks: src.k8ssandraTasks.length,
      replicatedSecrets: src.replicatedSecrets.length, exportFile: ctx.exported ? 'the export' : undefined,
      stillRecorded: [...ctx.records.values()].some((r) => r.movingTo) });
    for (const p of ctx.plan) s.note(`${p.step} (${p.context}): ${p.what}`);
    if (!ctx.plan.length) s.note(describePhase(ctx.phase!, ctx));
    ctx.report.move = { from: ctx.from, to: ctx.to, phase: ctx.phase!, ...(ctx.exported ? { fromExport: true } : {}), steps: ctx.plan,
      k8ssandraClusters: src.k8ssandraClusters.map((k) => `${k.metadata.namespace}/${k.metadata.name}`), secrets: ctx.secrets.map((x) => x.name),
      missingSecrets: ctx.missingSecrets };
  },
};

/** Writes the install record of `t` with `change` (the move's fields, or the final role). */
async function writeRecord(ctx: MoveRun, t: Target, change: (r: InstallRecord) => InstallRecord): Promise<void> {
  const record = ctx.records.get(t.cluster.ctx.name)!;
  const next = change(record);
  t.objects.push(...await applyAll(t.cluster.client, [installRecordObject(ctx.namespace, next)], { force: ctx.force }));
  ctx.records.set(t.cluster.ctx.name, next);
}

const moving = (ctx: MoveRun) => (r: InstallRecord): InstallRecord => ({ ...r, movingFrom: ctx.from, movingTo: ctx.to });

/** Both install records say "moving from A to B" until the end: status reports a move, not a failure, and a re-run knows. */
const recordTheMove: Step<MoveRun> = {
  title: (ctx) => `Record the move in ${[ctx.fromTarget, ctx.toTarget].filter(Boolean).map((t) => t!.cluster.ctx.name).join(' and ')}`,
  skip: (ctx) => ctx.dryRun || !ctx.plan.length,
  async run(ctx) {
    ctx.changing = true;
    for (const t of [ctx.fromTarget, ctx.toTarget]) if (t) await writeRecord(ctx, t, moving(ctx));
  },
};

/** Secrets, K8ssandraClusters (with status), ReplicatedSecrets (with status), K8ssandraTasks (with status), in that order, into the new control plane. */
const copyTheObjects: Step<MoveRun> = {
  title: (ctx) => `Copy the K8ssandraClusters and what they use into ${ctx.to}`,
  skip: (ctx) => ctx.dryRun || !due(ctx, 'copy'),
  async run(ctx, s) {
    // Switched by an earlier run: the old cluster's objects are the truth only once none of its pods runs as control plane.
    if (ctx.phase === 'switched' && ctx.fromTarget) await waitOperatorMode(ctx.fromTarget.cluster.client, ctx.namespace, 'data-plane', ctx.deadline);
    const to = ctx.toTarget!;
    const { client } = to.cluster;
    const src = must(ctx.source, 'the objects');
    const opts = { force: ctx.force };
    for (const sec of ctx.secrets) {
      const want = movedSecret({ ...sec.object, metadata: { ...sec.object.metadata, namespace: ctx.namespace } });
      const have = await getObject(client, { apiVersion: 'v1', kind: 'Secret', namespace: ctx.namespace, name: sec.name });
      // A replica already there with the same data and the labels the ReplicatedSecret selects is left exactly as it is.
      if (have && sameData(have, want) && Object.entries(want.metadata.labels ?? {}).every(([k, v]) => have.metadata.labels?.[k] === v)) {
        to.objects.push({ ref: refOf(want), action: 'unchanged', reason: 'already there with the same data' });
        continue;
      }
      to.objects.push(...await applyAll(client, [want], opts));
    }
    const fromHosts = hostsDatacenters(src.k8ssandraClusters) && !!ctx.fromTarget;
    const uids = new Map<string, string>();
    for (const kc of src.k8ssandraClusters) {
      const moved = await copyWithStatus(ctx, movedK8ssandraCluster(kc, ctx.from, ctx.to), kc);
      uids.set(kc.metadata.name, moved.metadata.uid!);
      s.note(`K8ssandraCluster ${kc.metadata.name}: ${(kc.spec?.cassandra?.datacenters ?? []).map((d: any) => `${d.metadata?.name} k8sContext ${d.k8sContext || '""'} -> ${movedK8ssandraCluster(kc, ctx.from, ctx.to).spec.cassandra.datacenters.find((x: any) => x.metadata?.name === d.metadata?.name)?.k8sContext || '""'}`).join(', ')}; status copied`);
    }
    for (const rs of src.replicatedSecrets) await copyWithStatus(ctx, movedReplicatedSecret(rs, ctx.from, ctx.to, fromHosts), rs);
    for (const task of src.k8ssandraTasks) await copyWithStatus(ctx, movedObject(task, uids), task);
  },
};

const sameData = (a: KubeObject, b: KubeObject) => JSON.stringify(a.data ?? {}) === JSON.stringify(b.data ?? {}) && (a.type ?? 'Opaque') === (b.type ?? 'Opaque');

/** Applies the copy in the new control plane, then its status (observedGeneration set to the copy's generation) through the status subresource. */
async function copyWithStatus(ctx: MoveRun, copy: KubeObject, original: KubeObject): Promise<KubeObject> {
  const to = ctx.toTarget!;
  const { client } = to.cluster;
  copy.metadata.namespace = ctx.namespace;
  const [applied] = await applyAll(client, [copy], { force: ctx.force });
  to.objects.push(applied!);
  const stored = (await getObject(client, { apiVersion: copy.apiVersion, kind: copy.kind, namespace: ctx.namespace, name: copy.metadata.name }))!;
  const status = movedStatus(original, stored.metadata.generation as number | undefined);
  if (status && JSON.stringify(stored.status ?? null) !== JSON.stringify(status)) {
    await applyStatus(client, stored, status);
    to.objects.push({ ref: `${refOf(copy)}/status`, action: stored.status ? 'changed' : 'created' });
  }
  return stored;
}

/** Switches one cluster's operator to `role` with the release k8ssandra installed there, and waits until every pod of it runs so. */
async function switchMode(ctx: MoveRun, t: Target, role: 'control-plane' | 'data-plane', record: InstallRecord, note: (line: string) => void): Promise<void> {
  const release = must(ctx.release, 'the release');
  const started = Date.now();
  const objs = await installCluster({ cluster: t.cluster, role, installCertManager: false, record: { ...record, role } }, release, undefined,
    { namespace: ctx.namespace, dryRun: false, force: ctx.force, deadline: ctx.deadline }, () => {}, (x) => t.objects.push(x));
  await waitOperatorMode(t.cluster.client, ctx.namespace, role, ctx.deadline);
  ctx.records.set(t.cluster.ctx.name, { ...record, role });
  t.elapsedMs += Date.now() - started;
  t.operatorVersion = release.version;
  t.ready = true;
  note(`${t.cluster.ctx.name}: operator runs as ${role} (${objs.filter((x) => x.action !== 'unchanged').length} object(s) changed)`);
}

const switchOld: Step<MoveRun> = {
  title: (ctx) => `Switch ${ctx.from}'s operator to data-plane mode`,
  skip: (ctx) => ctx.dryRun || !due(ctx, 'switch-old'),
  async run(ctx, s) {
    await switchMode(ctx, ctx.fromTarget!, 'data-plane', moving(ctx)(ctx.records.get(ctx.from)!), s.note);
  },
};

/**
 * Once the old operator is a data plane its objects no longer change: they are read again and copied
 * once more (what is unchanged is not sent), so the new control plane starts from their last state, not
 * from the state before the switch (the old operator may have written a status meanwhile).
 */
const copyAgain: Step<MoveRun> = {
  title: (ctx) => `Copy what changed in ${ctx.from} since into ${ctx.to}`,
  skip: (ctx) => ctx.dryRun || !due(ctx, 'copy') || !due(ctx, 'switch-old'),
  async run(ctx, s) {
    ctx.source = await readControlPlaneObjects(ctx.fromTarget!.cluster.client, ctx.namespace);
    const before = ctx.toTarget!.objects.length;
    await copyTheObjects.run(ctx, s);
    const changed = ctx.toTarget!.objects.slice(before).filter((o) => o.action !== 'unchanged').length;
    s.note(changed ? `${changed} object(s) written again` : 'nothing changed since the first copy');
  },
};

const switchNew: Step<MoveRun> = {
  title: (ctx) => `Switch ${ctx.to}'s operator to control-plane mode`,
  skip: (ctx) => ctx.dryRun || !due(ctx, 'switch-new'),
  async run(ctx, s) {
    // Never two control planes: the old one's pods are all data planes before the new one becomes one.
    if (ctx.fromTarget) await waitOperatorMode(ctx.fromTarget.cluster.client, ctx.namespace, 'data-plane', ctx.deadline);
    await switchMode(ctx, ctx.toTarget!, 'control-plane', moving(ctx)(ctx.records.get(ctx.to)!), s.note);
  },
};

/**
 * Removes the old cluster's copies, now that no pod there runs as control plane (checked again here:
 * with its operator a control plane, the K8ssandraCluster finalizer would delete every datacenter):
 * K8ssandraTasks, ReplicatedSecrets, K8ssandraClusters, each with its finalizers removed first and
 * deleted orphaning its dependents; then the ClientConfigs k8ssandra wrote there and their Secrets
 * (credentials for the data planes that cluster no longer needs). Other Secrets stay: a datacenter
 * there may use them, and the new control plane replicates its own.
 */
const cleanUp: Step<MoveRun> = {
  title: (ctx) => `Remove ${ctx.from}'s copies`,
  skip: (ctx) => ctx.dryRun || !due(ctx, 'clean-up') || !ctx.fromTarget,
  async run(ctx, s) {
    const t = ctx.fromTarget!;
    const { client } = t.cluster;
    const op = (await findOperators(client)).find((x) => x.namespace === ctx.namespace);
    if (op?.mode === 'control-plane') throw new Error(`internal: ${ctx.from} runs as control plane at clean-up`);
    await waitOperatorMode(client, ctx.namespace, 'data-plane', ctx.deadline);
    const [left, moved] = await Promise.all([readControlPlaneObjects(client, ctx.namespace), readControlPlaneObjects(ctx.toTarget!.cluster.client, ctx.namespace)]);
    const removed: KubeObject[] = [];
    // Only what the new control plane holds is a copy: anything else (made in the old cluster meanwhile) stays, and says so.
    const there = new Set([...moved.k8ssandraTasks, ...moved.replicatedSecrets, ...moved.k8ssandraClusters].map((o) => `${o.kind}/${o.metadata.name}`));
    for (const obj of [...left.k8ssandraTasks, ...left.replicatedSecrets, ...left.k8ssandraClusters]) {
      if (!there.has(`${obj.kind}/${obj.metadata.name}`)) {
        t.objects.push({ ref: refOf(obj), action: 'kept', reason: `not in ${ctx.to}: not moved` });
        ctx.ui.warn(`${ctx.from}: ${refOf(obj)} is not in ${ctx.to} (made after the move read ${ctx.from}?): kept; move it by hand or delete it`);
        continue;
      }
      if (await removeCopy(client, obj) === 'deleted') {
        t.objects.push({ ref: refOf(obj), action: 'deleted', reason: `moved to ${ctx.to}` });
        removed.push(obj);
      }
    }
    await waitGone(client, removed, ctx.deadline);
    for (const cc of (await listObjects(client, { ...CLIENT_CONFIG, namespace: ctx.namespace })).filter(managedByUs)) {
      await deleteObject(client, { ...CLIENT_CONFIG, namespace: ctx.namespace, name: cc.metadata.name }, { uid: cc.metadata.uid });
      t.objects.push({ ref: refOf(cc), action: 'deleted' });
      const secret = cc.spec?.kubeConfigSecret?.name;
      const sec = secret ? await getObject(client, { apiVersion: 'v1', kind: 'Secret', namespace: ctx.namespace, name: secret }) : null;
      if (sec && managedByUs(sec)) {
        await deleteObject(client, { apiVersion: 'v1', kind: 'Secret', namespace: ctx.namespace, name: secret }, { uid: sec.metadata.uid });
        t.objects.push({ ref: refOf(sec), action: 'deleted' });
      }
    }
    s.note(`${ctx.from}: ${t.objects.filter((x) => x.action === 'deleted').length} object(s) removed; its Secrets kept`);
  },
};

/** The final records: the new control plane's says control-plane, the old one's data-plane, neither "moving". */
const finish: Step<MoveRun> = {
  title: 'Write the install records',
  skip: (ctx) => ctx.dryRun || !ctx.plan.length,
  async run(ctx) {
    const done = (role: 'control-plane' | 'data-plane') => ({ movingFrom: _f, movingTo: _t, ...r }: InstallRecord): InstallRecord => ({ ...r, role });
    // A lost control plane's record cannot be written; the new one's says where it came from, until the old one is back and cleaned up.
    await writeRecord(ctx, ctx.toTarget!, ctx.fromTarget ? done('control-plane') : (r) => ({ ...done('control-plane')(r), movingFrom: ctx.from, movingTo: ctx.to }));
    if (ctx.fromTarget) await writeRecord(ctx, ctx.fromTarget, done('data-plane'));
  },
};

const summarize: Step<MoveRun> = {
  title: 'summary', quiet: true,
  async run(ctx) {
    const kcs = ctx.source?.k8ssandraClusters.map((k) => k.metadata.name).join(', ') || 'no K8ssandraCluster';
    for (const t of ctx.targets) t.ready = true;
    ctx.report.summary = !ctx.plan.length ? `${ctx.to} already runs the control plane: nothing to move`
      : ctx.dryRun ? `dry run: would move the control plane from ${ctx.from} to ${ctx.to} (${kcs}) in ${ctx.plan.length} steps; nothing was changed`
        : `moved the control plane from ${ctx.exported ? `the export of ${ctx.from}` : ctx.from} to ${ctx.to} (${kcs})${ctx.missingSecrets.length ? `; missing Secrets: ${ctx.missingSecrets.join(', ')}` : ''}`;
    ctx.report.ok = true;
  },
};
