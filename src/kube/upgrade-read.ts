import { existsSync } from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors.js';
import type { KubeClient } from './client.js';
import type { KubeObject } from '../model/object.js';
import { getObject, listMetadata } from './resources.js';
import { loadOperatorRelease, renderForCluster, type OperatorRelease, type ReleaseSourceOptions } from '../manifests/operator-release.js';
import { OFFICIAL, type InstallRecord } from '../plan/install-record.js';
import { objectKey, planClusterUpgrade, type ClusterUpgradePlan, type LiveObjects } from '../plan/upgrade.js';

/**
 * The release each install record names, loaded once per source and scope (clusters installed from
 * the same files share one). A recorded local source that is gone is a usage error: without the old
 * release, what the new one no longer has cannot be known.
 */
export async function loadInstalledReleases(records: Map<string, InstallRecord>, opts: Pick<ReleaseSourceOptions, 'renderOfficial'> = {}):
  Promise<Map<string, OperatorRelease>> {
  const bySource = new Map<string, Promise<OperatorRelease>>();
  const out = new Map<string, OperatorRelease>();
  for (const [context, r] of records) {
    const official = r.operatorSource === OFFICIAL;
    if (!official && !(path.isAbsolute(r.operatorSource) && existsSync(r.operatorSource))) {
      throw usageError(`${context} was installed from ${r.operatorSource} (operator ${r.operatorVersion}), which is no longer there`,
        `put the ${r.operatorVersion} manifests back at that path: upgrade compares them with the new release to find what to remove`);
    }
    const key = `${r.operatorSource}\0${r.operatorVersion}\0${r.clusterScoped}`;
    if (!bySource.has(key)) {
      bySource.set(key, loadOperatorRelease({ manifests: official ? undefined : r.operatorSource, operatorVersion: official ? r.operatorVersion : undefined,
        clusterScoped: r.clusterScoped, renderOfficial: opts.renderOfficial }));
    }
    out.set(context, await bySource.get(key)!);
  }
  return out;
}

/**
 * Who wrote what exists of `objects`, in one metadata list per kind and namespace. A kind the server
 * does not serve means none exist (null); a list that fails leaves its objects out (not read).
 */
export async function readLiveMetadata(client: KubeClient, objects: KubeObject[]): Promise<LiveObjects> {
  const groups = new Map<string, KubeObject[]>();
  for (const o of objects) {
    const g = `${o.apiVersion}\0${o.kind}\0${o.metadata.namespace ?? ''}`;
    groups.set(g, [...(groups.get(g) ?? []), o]);
  }
  const live: LiveObjects = new Map();
  await Promise.all([...groups.values()].map(async (objs) => {
    const { apiVersion, kind, metadata: { namespace } } = objs[0]!;
    const found = await listMetadata(client, { apiVersion, kind, namespace }).catch(() => undefined);
    if (found) for (const o of objs) live.set(objectKey(o), found.get(o.metadata.name) ?? null);
  }));
  return live;
}

/** The live CRDs (with `status.storedVersions`) of the given names that exist. */
export async function readInstalledCrds(client: KubeClient, names: string[]): Promise<KubeObject[]> {
  const found = await Promise.all(names.map((name) => getObject(client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name })));
  return found.filter((c): c is KubeObject => !!c);
}

/** One cluster's upgrade plan: both releases rendered for it, and what exists of either read from it. */
export async function readClusterUpgradePlan(client: KubeClient, opts: { context: string; record: InstallRecord; installed: OperatorRelease;
  target: OperatorRelease; namespace: string }): Promise<ClusterUpgradePlan> {
  const role = opts.record.role;
  const from = { version: opts.installed.version, cassOperatorVersion: opts.installed.cassOperatorVersion, objects: renderForCluster(opts.installed, role, opts.namespace) };
  const to = { version: opts.target.version, cassOperatorVersion: opts.target.cassOperatorVersion, objects: renderForCluster(opts.target, role, opts.namespace) };
  const live = await readLiveMetadata(client, [...from.objects, ...to.objects]);
  return planClusterUpgrade({ context: opts.context, role, from, to, live });
}
