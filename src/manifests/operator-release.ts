import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError, usageError } from '../errors.js';
import type { KubeObject } from '../model/object.js';
import { cacheDir, writeCacheFile } from '../util/cache.js';
import { readManifestFile } from './parse.js';
import { DEFAULT_OPERATOR_VERSION } from '../defaults.js';
import { imageTag } from '../kube/images.js';

const RELEASE_NAMESPACE = 'k8ssandra-operator';
export const OPERATOR_DEPLOYMENT = 'k8ssandra-operator';
export const CONTROL_PLANE_ENV = 'K8SSANDRA_CONTROL_PLANE';

export type Role = 'control-plane' | 'data-plane';

export interface OperatorRelease {
  version: string;
  cassOperatorVersion?: string;
  /** Where it came from, for people. */
  source: string;
  /** The absolute path given with --manifests (undefined: the official release). */
  manifestsPath?: string;
  clusterScoped: boolean;
  /** Rendered objects per role, before namespace and mode are set for a cluster. */
  byRole: Record<Role, KubeObject[]>;
}

export interface ReleaseSourceOptions {
  manifests?: string;
  operatorVersion?: string;
  clusterScoped?: boolean;
  /** Renders an official release when it is not cached; injectable so tests never touch the network. */
  renderOfficial?: (variant: string, version: string) => Promise<string>;
}

const variantFile = (role: Role, clusterScoped: boolean) => `${role}${clusterScoped ? '-cluster-scope' : ''}.yaml`;

/**
 * Finds the release: --manifests (a rendered file, or a folder with control-plane.yaml and
 * data-plane.yaml, as upstream's kustomize deployments render them), else the official release of
 * the pinned version, rendered once with kubectl's kustomize and cached.
 */
export async function loadOperatorRelease(opts: ReleaseSourceOptions): Promise<OperatorRelease> {
  const scoped = !!opts.clusterScoped;
  let files: Record<Role, string>;
  let source: string;
  if (opts.manifests) {
    const p = path.resolve(opts.manifests);
    if (!existsSync(p)) throw usageError(`--manifests ${opts.manifests} does not exist`, 'pass a rendered release file or a folder holding control-plane.yaml and data-plane.yaml');
    if (statSync(p).isDirectory()) {
      files = { 'control-plane': path.join(p, variantFile('control-plane', scoped)), 'data-plane': path.join(p, variantFile('data-plane', scoped)) };
      for (const f of Object.values(files)) {
        if (!existsSync(f)) throw usageError(`--manifests folder ${opts.manifests} has no ${path.basename(f)}`, 'render both variants with kubectl kustomize (see README "Air-gapped installs")');
      }
    } else {
      files = { 'control-plane': p, 'data-plane': p };
    }
    source = p;
  } else {
    const version = opts.operatorVersion ?? DEFAULT_OPERATOR_VERSION;
    const dir = path.join(cacheDir(), 'k8ssandra-operator', version);
    files = { 'control-plane': path.join(dir, variantFile('control-plane', scoped)), 'data-plane': path.join(dir, variantFile('data-plane', scoped)) };
    for (const [role, f] of Object.entries(files) as [Role, string][]) {
      if (existsSync(f)) continue;
      const variant = `${role}${scoped ? '/cluster-scope' : ''}`;
      const render = opts.renderOfficial ?? renderWithKustomize;
      writeCacheFile(f, await render(variant, version));
    }
    source = `k8ssandra-operator ${version} (cached in ${dir})`;
  }
  const byRole = { 'control-plane': readManifestFile(files['control-plane']), 'data-plane': readManifestFile(files['data-plane']) };
  const version = operatorImageTag(byRole['control-plane']);
  if (!version) {
    throw usageError(`${source} is not a k8ssandra-operator release: no ${OPERATOR_DEPLOYMENT} Deployment with ${CONTROL_PLANE_ENV}`,
      'pass the rendered k8ssandra-operator release (control-plane.yaml / data-plane.yaml)');
  }
  if (opts.operatorVersion && opts.manifests && opts.operatorVersion !== version) {
    throw usageError(`--manifests holds operator ${version}, not ${opts.operatorVersion}`, 'drop --operator-version or pass the matching manifests');
  }
  return { version, cassOperatorVersion: imageTag(findDeployment(byRole['control-plane'], 'cass-operator-controller-manager')), source,
    manifestsPath: opts.manifests ? path.resolve(opts.manifests) : undefined, clusterScoped: scoped, byRole };
}

async function renderWithKustomize(variant: string, version: string): Promise<string> {
  const url = `github.com/k8ssandra/k8ssandra-operator/config/deployments/${variant}?ref=${version}`;
  const { execa } = await import('execa');
  try {
    const r = await execa('kubectl', ['kustomize', url], { timeout: 300_000 });
    return r.stdout;
  } catch (e) {
    throw new CliError('usage', `could not render the official k8ssandra-operator ${version} release (${variant}) with kubectl kustomize`,
      { cause: e, hint: 'without network access, pass --manifests with the rendered release (see README "Air-gapped installs")' });
  }
}

function findDeployment(objs: KubeObject[], name: string): KubeObject | undefined {
  return objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
}

function operatorImageTag(objs: KubeObject[]): string | undefined {
  const d = findDeployment(objs, OPERATOR_DEPLOYMENT);
  const env: { name: string }[] = d?.spec?.template?.spec?.containers?.[0]?.env ?? [];
  return env.some((e) => e.name === CONTROL_PLANE_ENV) ? imageTag(d) : undefined;
}

/**
 * The objects for one cluster: the release moved into `namespace` and set to the role's mode.
 * Only the places that name the release namespace are rewritten (metadata, RBAC subjects, webhook
 * and conversion service references, cert-manager CA injection, certificate DNS names).
 */
export function renderForCluster(release: OperatorRelease, role: Role, namespace: string): KubeObject[] {
  // Every cluster of a role gets the same objects: rendered once per run (ten clusters cost as two),
  // shared read-only by preflight, install, upgrade and uninstall; a caller that changes one copies it.
  let byKey = rendered.get(release);
  if (!byKey) rendered.set(release, (byKey = new Map()));
  const key = `${role}|${namespace}`;
  if (!byKey.has(key)) byKey.set(key, render(release, role, namespace));
  return [...byKey.get(key)!];
}
const rendered = new WeakMap<OperatorRelease, Map<string, KubeObject[]>>();

function render(release: OperatorRelease, role: Role, namespace: string): KubeObject[] {
  const objs = release.byRole[role].map(renderCopy);
  const moveNs = (ns: string | undefined) => (ns === RELEASE_NAMESPACE ? namespace : ns);
  for (const o of objs) {
    if (o.kind === 'Namespace' && o.metadata.name === RELEASE_NAMESPACE) o.metadata.name = namespace;
    if (o.metadata.namespace) o.metadata.namespace = moveNs(o.metadata.namespace);
    const inject = o.metadata.annotations?.['cert-manager.io/inject-ca-from'];
    if (inject?.startsWith(RELEASE_NAMESPACE + '/')) o.metadata.annotations!['cert-manager.io/inject-ca-from'] = namespace + inject.slice(RELEASE_NAMESPACE.length);
    for (const s of o.subjects ?? []) s.namespace = moveNs(s.namespace);
    for (const w of o.webhooks ?? []) if (w.clientConfig?.service) w.clientConfig.service.namespace = moveNs(w.clientConfig.service.namespace);
    const conv = o.spec?.conversion?.webhook?.clientConfig?.service;
    if (conv) conv.namespace = moveNs(conv.namespace);
    if (o.kind === 'Certificate' && Array.isArray(o.spec?.dnsNames)) {
      o.spec.dnsNames = o.spec.dnsNames.map((n: string) => n.replace(`.${RELEASE_NAMESPACE}.svc`, `.${namespace}.svc`));
    }
    if (o.kind === 'Deployment' && o.metadata.name === OPERATOR_DEPLOYMENT) {
      for (const c of o.spec.template.spec.containers) {
        for (const e of c.env ?? []) if (e.name === CONTROL_PLANE_ENV) e.value = role === 'control-plane' ? 'true' : 'false';
      }
    }
  }
  return objs;
}

/**
 * A copy to rewrite. A CRD's versions (their schemas: most of the release's bytes) are never rewritten,
 * so they stay shared with the release instead of being copied per role; the spread keeps every key
 * in its place, so the applied hash is the same as of a full copy.
 */
function renderCopy(o: KubeObject): KubeObject {
  const versions = o.kind === 'CustomResourceDefinition' ? o.spec?.versions : undefined;
  if (!versions) return structuredClone(o);
  const copy = structuredClone({ ...o, spec: { ...o.spec, versions: [] } });
  copy.spec.versions = versions;
  return copy;
}

/** Apply order: namespaces and CRDs first (and waited for), then everything else. */
export function splitForApply(objs: KubeObject[]): { first: KubeObject[]; rest: KubeObject[] } {
  const first = objs.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  return { first, rest: objs.filter((o) => !first.includes(o)) };
}
