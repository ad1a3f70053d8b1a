import { refOf, type KubeObject } from '../model/object.js';
import { splitForApply, type Role } from '../manifests/operator-release.js';
import { describeInstaller, installedBy } from './installed-by.js';
import { versionDirection, type VersionDirection } from './version-change.js';

/** A release as one cluster gets it: `renderForCluster` output, with the versions it carries. */
export interface ClusterRelease { version: string; cassOperatorVersion?: string; objects: KubeObject[] }

/** Metadata (with managedFields) of what exists, keyed by `objectKey`; null: it does not exist. */
export type LiveObjects = Map<string, KubeObject['metadata'] | null>;

export interface ImageChange { deployment: string; container: string; from?: string; to?: string }

/** One object of both releases that differs: what differs (`image`, `spec`, `rules`, `data`, `schema`, `versions`, `labels`, ...). */
export interface ObjectChange { ref: string; object: KubeObject; what: string[]; images: ImageChange[] }

export interface KeptObject { ref: string; object: KubeObject; reason: string }

export interface ClusterUpgradePlan {
  context: string;
  role: Role;
  from: { operator: string; cassOperator?: string };
  to: { operator: string; cassOperator?: string };
  direction: VersionDirection;
  /** In the new release only. */
  added: KubeObject[];
  changed: ObjectChange[];
  /** In the old release only, and written by our field manager: deleted after the new release runs. */
  removed: KubeObject[];
  /** In the old release only, but kept, with why (not ours, a CRD, a namespace, a custom resource, not read). */
  kept: KeptObject[];
  unchanged: number;
  /** Objects of the new release that exist and that someone else installed: applying takes them over (needs --force). */
  foreign: KeptObject[];
  /** The whole new release in apply order (namespace and CRDs first); the applier skips what is current, so a re-run converges. */
  apply: KubeObject[];
}

/** An object's identity across releases: its group (not its version, which a release may move), kind, namespace and name. */
export function objectKey(o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${kindKey(o)}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** group/kind ('' is the core group). */
const kindKey = (o: Pick<KubeObject, 'apiVersion' | 'kind'>) => `${o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : ''}/${o.kind}`;

export const KEPT_NOT_OURS = (by: string) => `not written by k8ssandra (${by}): kept`;
export const KEPT_CRD = 'CRDs are never removed by an upgrade: deleting one deletes every object of its kind';
export const KEPT_NAMESPACE = 'namespaces are never removed: they may hold your data';
export const KEPT_CUSTOM_RESOURCE = 'custom resources of the operator are never removed: they are your data';
export const KEPT_NOT_READ = 'could not be read: kept';

/**
 * The upgrade of one cluster from the release it has to another: what is added, changed and removed.
 * Removal is only of objects our field manager wrote and no Helm release claims (`live` says who
 * wrote them); CRDs, namespaces and objects of the operator's own kinds (custom resources) are never
 * removed. An object already gone (an earlier run removed it) is simply not planned: the plan of a
 * re-run is what is left.
 */
export function planClusterUpgrade(opts: { context: string; role: Role; from: ClusterRelease; to: ClusterRelease; live: LiveObjects }): ClusterUpgradePlan {
  const { from, to, live } = opts;
  const oldByKey = new Map(from.objects.map((o) => [objectKey(o), o]));
  const newKeys = new Set(to.objects.map(objectKey));
  const ownKinds = customKinds([...from.objects, ...to.objects]);
  const plan: ClusterUpgradePlan = {
    context: opts.context, role: opts.role,
    from: { operator: from.version, cassOperator: from.cassOperatorVersion }, to: { operator: to.version, cassOperator: to.cassOperatorVersion },
    direction: versionDirection(from.version, to.version),
    added: [], changed: [], removed: [], kept: [], unchanged: 0, foreign: [],
    apply: (({ first, rest }) => [...first, ...rest])(splitForApply(to.objects)),
  };
  for (const o of to.objects) {
    const key = objectKey(o);
    const meta = live.get(key);
    if (meta) {
      const by = installedBy(meta);
      if (by.by !== 'k8ssandra') plan.foreign.push({ ref: refOf(o), object: o, reason: describeInstaller(by) });
    }
    const old = oldByKey.get(key);
    if (!old) plan.added.push(o);
    else {
      const change = describeChange(old, o);
      if (change.what.length) plan.changed.push({ ref: refOf(o), object: o, ...change });
      else plan.unchanged++;
    }
  }
  for (const [key, o] of oldByKey) {
    if (newKeys.has(key)) continue;
    const keep = (reason: string) => plan.kept.push({ ref: refOf(o), object: o, reason });
    if (o.kind === 'CustomResourceDefinition') keep(KEPT_CRD);
    else if (o.kind === 'Namespace') keep(KEPT_NAMESPACE);
    else if (ownKinds.has(kindKey(o))) keep(KEPT_CUSTOM_RESOURCE);
    else {
      const meta = live.get(key);
      if (meta === null) continue;
      if (meta === undefined) keep(KEPT_NOT_READ);
      else {
        // Helm's marks count even where our field manager also wrote (an earlier --force): still Helm's.
        const by = installedBy(meta);
        if (by.by !== 'k8ssandra') keep(KEPT_NOT_OURS(describeInstaller(by)));
        else plan.removed.push({ ...o, metadata: { ...o.metadata, uid: meta.uid } });
      }
    }
  }
  return plan;
}

/** group/kind of every kind the releases' CRDs define: objects of these kinds are data, not release. */
function customKinds(objs: KubeObject[]): Set<string> {
  return new Set(objs.filter((o) => o.kind === 'CustomResourceDefinition').map((c) => `${c.spec?.group}/${c.spec?.names?.kind}`));
}

/**
 * What differs between two versions of one object, for people: container images by name and tag;
 * for a CRD its versions (names, served, storage) apart from the rest of its schema; else the top-level
 * fields (`spec`, `rules`, `data`, `webhooks`, ...) and the metadata labels and annotations.
 */
export function describeChange(from: KubeObject, to: KubeObject): { what: string[]; images: ImageChange[] } {
  const what: string[] = [];
  const images: ImageChange[] = [];
  const fields = new Set([...Object.keys(from), ...Object.keys(to)].filter((f) => f !== 'metadata' && f !== 'status'));
  for (const f of [...fields].sort()) {
    if (same(from[f], to[f])) continue;
    if (f === 'spec' && to.kind === 'Deployment') {
      images.push(...imageChanges(from, to));
      if (images.length) what.push('image');
      if (!same(withoutImages(from.spec), withoutImages(to.spec))) what.push('spec');
    } else if (f === 'spec' && to.kind === 'CustomResourceDefinition') {
      const versions = (o: KubeObject) => (o.spec?.versions ?? []).map((v: any) => ({ name: v.name, served: v.served, storage: v.storage }));
      if (!same(versions(from), versions(to))) what.push('versions');
      const rest = (o: KubeObject) => ({ ...o.spec, versions: (o.spec?.versions ?? []).map((v: any) => ({ ...v, name: undefined, served: undefined, storage: undefined })) });
      if (!same(rest(from), rest(to))) what.push('schema');
    } else what.push(f);
  }
  for (const m of ['labels', 'annotations'] as const) if (!same(from.metadata[m], to.metadata[m])) what.push(m);
  if (from.apiVersion !== to.apiVersion) what.push(`apiVersion ${from.apiVersion} -> ${to.apiVersion}`);
  return { what, images };
}

function imageChanges(from: KubeObject, to: KubeObject): ImageChange[] {
  const images = (o: KubeObject) => {
    const pod = o.spec?.template?.spec ?? {};
    return new Map<string, string>([...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((c: { name: string; image: string }) => [c.name, c.image]));
  };
  const a = images(from), b = images(to);
  return [...new Set([...a.keys(), ...b.keys()])].filter((c) => a.get(c) !== b.get(c))
    .map((container) => ({ deployment: to.metadata.name, container, from: a.get(container), to: b.get(container) }));
}

function withoutImages(spec: any): unknown {
  const strip = (cs?: any[]) => cs?.map((c) => ({ ...c, image: undefined }));
  const pod = spec?.template?.spec;
  return pod ? { ...spec, template: { ...spec.template, spec: { ...pod, containers: strip(pod.containers), initContainers: strip(pod.initContainers) } } } : spec;
}

/** Deep equality of JSON values, whatever the order of keys; an undefined field is an absent one. */
function same(a: any, b: any): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  const keys = (o: object) => Object.keys(o).filter((k) => (o as any)[k] !== undefined);
  const ka = keys(a), kb = keys(b);
  return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
}

export type StageName = 'crds' | 'data-planes' | 'control-plane';

/** What one stage does in one cluster, in this order: apply, wait, then remove. */
export interface ClusterWork {
  context: string;
  apply: KubeObject[];
  /** CRDs to wait for until Established before the next stage. */
  waitEstablished: string[];
  /** Deployments to wait for until available, before `remove` (the old pods may still use what goes). */
  waitDeployments: { namespace: string; name: string }[];
  remove: KubeObject[];
}

export interface UpgradeStage { name: StageName; clusters: ClusterWork[] }

/**
 * The order that never runs an operator against CRDs older than it expects: the namespace and CRDs
 * of every cluster first (each waited for until Established), then the rest of the release in the
 * data planes, then in the control plane (which talks to the data planes' operators' kinds). Within
 * a cluster, what the new release no longer has goes only once its Deployments run. A stage with no
 * cluster is left out. The control-plane cluster, which may also host datacenters, runs one operator:
 * it goes in the last stage.
 */
export function upgradeStages(plans: ClusterUpgradePlan[]): UpgradeStage[] {
  const split = (p: ClusterUpgradePlan) => splitForApply(p.apply);
  const crds: ClusterWork[] = plans.map((p) => {
    const { first } = split(p);
    return { context: p.context, apply: first, waitEstablished: first.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name),
      waitDeployments: [], remove: [] };
  });
  const operator = (p: ClusterUpgradePlan): ClusterWork => {
    const { rest } = split(p);
    const deployments = rest.filter((o) => o.kind === 'Deployment').map((d) => ({ namespace: d.metadata.namespace!, name: d.metadata.name }));
    return { context: p.context, apply: rest, waitEstablished: [], waitDeployments: deployments, remove: p.removed };
  };
  const stages: UpgradeStage[] = [
    { name: 'crds', clusters: crds },
    { name: 'data-planes', clusters: plans.filter((p) => p.role === 'data-plane').map(operator) },
    { name: 'control-plane', clusters: plans.filter((p) => p.role === 'control-plane').map(operator) },
  ];
  return stages.filter((s) => s.clusters.length);
}

/** A plan as data (`--dry-run`, `-o json`): references and reasons, not whole objects. */
export interface ClusterUpgradeSummary {
  context: string; role: Role; from: ClusterUpgradePlan['from']; to: ClusterUpgradePlan['to']; direction: VersionDirection;
  added: string[]; changed: { ref: string; what: string[]; images?: ImageChange[] }[]; removed: string[];
  kept: { ref: string; reason: string }[]; foreign: { ref: string; reason: string }[]; unchanged: number;
}

export function summarizePlan(p: ClusterUpgradePlan): ClusterUpgradeSummary {
  const refReason = ({ ref, reason }: KeptObject) => ({ ref, reason });
  return { context: p.context, role: p.role, from: p.from, to: p.to, direction: p.direction, added: p.added.map(refOf),
    changed: p.changed.map((c) => ({ ref: c.ref, what: c.what, ...(c.images.length ? { images: c.images } : {}) })), removed: p.removed.map(refOf),
    kept: p.kept.map(refReason), foreign: p.foreign.map(refReason), unchanged: p.unchanged };
}

/**
 * What the upgrade would do to each object, as a run reports what it did: a dry run writes nothing, so
 * its table counts these (created = added, changed, unchanged, deleted = removed, kept).
 */
export function plannedActions(p: ClusterUpgradePlan): { ref: string; action: 'created' | 'changed' | 'unchanged' | 'deleted' | 'kept'; reason?: string }[] {
  const moving = new Set([...p.added.map(refOf), ...p.changed.map((c) => c.ref)]);
  return [
    ...p.added.map((o) => ({ ref: refOf(o), action: 'created' as const })),
    ...p.changed.map((c) => ({ ref: c.ref, action: 'changed' as const })),
    ...p.apply.filter((o) => !moving.has(refOf(o))).map((o) => ({ ref: refOf(o), action: 'unchanged' as const })),
    ...p.removed.map((o) => ({ ref: refOf(o), action: 'deleted' as const })),
    ...p.kept.map(({ ref, reason }) => ({ ref, action: 'kept' as const, reason })),
  ];
}

/** Whether a cluster's plan changes anything (a second upgrade to the same release should not). */
export function hasChanges(p: ClusterUpgradePlan): boolean {
  return p.added.length + p.changed.length + p.removed.length > 0;
}
