import semver from 'semver';
import type { KubeObject } from '../model/object.js';

/** Which way a cluster moves: `unknown` when a version is not semver (a custom build's tag) and the two differ. */
export type VersionDirection = 'upgrade' | 'downgrade' | 'same' | 'unknown';

export function versionDirection(from: string, to: string): VersionDirection {
  if (from === to) return 'same';
  const a = semver.valid(semver.clean(from) ?? '');
  const b = semver.valid(semver.clean(to) ?? '');
  if (!a || !b) return 'unknown';
  const c = semver.compare(a, b);
  return c < 0 ? 'upgrade' : c > 0 ? 'downgrade' : 'same';
}

/** One thing a downgrade could break, per CRD. `blocking`: the older release cannot even be applied. */
export interface DowngradeRisk {
  crd: string;
  kind: 'stored-version-dropped' | 'stored-version-unserved' | 'fields-dropped' | 'crd-unknown';
  blocking: boolean;
  message: string;
}

const FIELD_EXAMPLES = 3;

/**
 * What moving the installed CRDs back to an older release's CRDs could break:
 * - a version still listed in the installed CRD's `status.storedVersions` that the older CRD does not
 *   list: the API server refuses that CRD (blocking); listed but not served: objects stored in it can
 *   no longer be read;
 * - fields the installed release's schema has and the older one's lacks: the API server prunes them,
 *   so the settings they hold are lost;
 * - CRDs the older release does not have: kept (never deleted), but nothing watches their objects.
 * `installedCrds` are the live CRDs (with status), `installed` and `older` the two releases' objects.
 */
export function downgradeRisks(opts: { installedCrds: KubeObject[]; installed: KubeObject[]; older: KubeObject[]; olderVersion: string }): DowngradeRisk[] {
  const crds = (objs: KubeObject[]) => new Map(objs.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => [o.metadata.name, o]));
  const older = crds(opts.older);
  const installed = crds(opts.installed);
  const risks: DowngradeRisk[] = [];
  for (const live of opts.installedCrds) {
    const name = live.metadata.name;
    const old = older.get(name);
    if (!old) {
      risks.push({ crd: name, kind: 'crd-unknown', blocking: false,
        message: `${name} is not in ${opts.olderVersion}: it is kept, but no operator of ${opts.olderVersion} watches its objects` });
      continue;
    }
    const versions = new Map<string, { served?: boolean }>((old.spec?.versions ?? []).map((v: { name: string; served?: boolean }) => [v.name, v]));
    for (const stored of (live.status?.storedVersions ?? []) as string[]) {
      const v = versions.get(stored);
      if (!v) {
        risks.push({ crd: name, kind: 'stored-version-dropped', blocking: true,
          message: `${name} has objects stored as ${stored}, a version ${opts.olderVersion} does not define: the API server refuses its CRD until they are migrated and ${stored} is removed from status.storedVersions` });
      } else if (!v.served) {
        risks.push({ crd: name, kind: 'stored-version-unserved', blocking: false,
          message: `${name} has objects stored as ${stored}, which ${opts.olderVersion} does not serve: they cannot be read until it is served again` });
      }
    }
    const newer = installed.get(name);
    if (newer) {
      const lost = droppedFields(newer, old);
      if (lost.length) {
        risks.push({ crd: name, kind: 'fields-dropped', blocking: false,
          message: `${name}: ${lost.length} field${lost.length === 1 ? '' : 's'} unknown to ${opts.olderVersion} (${lost.slice(0, FIELD_EXAMPLES).join(', ')}${lost.length > FIELD_EXAMPLES ? ', ...' : ''}) ${lost.length === 1 ? 'is' : 'are'} pruned by the API server: settings in them are lost` });
      }
    }
  }
  return risks;
}

/** Field paths in `newer`'s schemas that `older`'s schema of the same version lacks (a version older lacks counts whole). */
export function droppedFields(newer: KubeObject, older: KubeObject): string[] {
  const olderByVersion = new Map<string, Set<string>>((older.spec?.versions ?? []).map((v: any) => [v.name, schemaPaths(v.schema?.openAPIV3Schema)]));
  const out = new Set<string>();
  for (const v of newer.spec?.versions ?? []) {
    const known = olderByVersion.get(v.name);
    if (!known) continue;
    for (const p of schemaPaths(v.schema?.openAPIV3Schema)) {
      // Only the top of a missing subtree: its children are implied.
      if (!known.has(p) && ![...out].some((q) => p.startsWith(q + '.') || p.startsWith(q + '[]'))) out.add(p);
    }
  }
  return [...out];
}

function schemaPaths(schema: any, prefix = '', out = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== 'object') return out;
  for (const [k, v] of Object.entries(schema.properties ?? {})) {
    out.add(`${prefix}.${k}`);
    schemaPaths(v, `${prefix}.${k}`, out);
  }
  if (schema.items) schemaPaths(schema.items, `${prefix}[]`, out);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') schemaPaths(schema.additionalProperties, `${prefix}{}`, out);
  return out;
}
