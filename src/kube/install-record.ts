import { getObject } from './resources.js';
import { INSTALL_RECORD_NAME, parseInstallRecord, type InstallRecord } from '../plan/install-record.js';
import type { Cluster } from './connect.js';

/**
 * The install record of each cluster that has one, keyed by context, in the order of `clusters`.
 * A cluster that cannot be asked simply has none here: preflight reports why it cannot be reached.
 */
export async function readInstallRecords(clusters: Cluster[], namespace: string): Promise<Map<string, InstallRecord>> {
  const found = await Promise.all(clusters.map((c) =>
    getObject(c.client, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: INSTALL_RECORD_NAME }).then(parseInstallRecord, () => undefined)));
  return new Map(clusters.flatMap((c, i) => (found[i] ? [[c.ctx.name, found[i]] as const] : [])));
}
