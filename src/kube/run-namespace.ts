// A namespace that a run had to create (for its lock, or for probe pods) and may delete again: created
// with an exclusive POST, so that of two runs only one can say it made it, and deleted only when the
// rule of plan/namespace-deletion.ts allows it, checked right before the delete.
import { describe } from '../errors.js';
import { namespaceDeletion, type Found, type RunIdentity } from '../plan/namespace-deletion.js';
import { ApiError, type KubeClient } from './client.js';
import { FIELD_MANAGER } from '../model/field-manager.js';

/**
 * Creates the namespace, bare and under our field manager (the release's Namespace is applied over it
 * later as if it were new); its uid, or undefined when it exists already (someone else made it). Which
 * run made it is known by that run alone, in memory: nothing else needs to tell.
 */
export async function createRunNamespace(client: KubeClient, namespace: string): Promise<string | undefined> {
  try {
    const made = await client.request<{ metadata: { uid: string } }>({ method: 'POST', path: '/api/v1/namespaces', query: { fieldManager: FIELD_MANAGER },
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    return made.metadata.uid;
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return undefined;
    throw e;
  }
}

/**
 * Deletes a namespace this run created (`uid`: the one it created, not one made since under the same
 * name) when it holds nothing but this run's objects; otherwise says why it stays. True when deleted.
 */
export async function deleteRunNamespace(client: KubeClient, namespace: string, uid: string, run: RunIdentity, deadline: number,
  note: (line: string) => void): Promise<boolean> {
  const verdict = namespaceDeletion(namespace, await namespaceContents(client, namespace, deadline), run);
  if (!verdict.delete) {
    note(`${client.context}: ${verdict.why}`);
    return false;
  }
  try {
    await client.request({ method: 'DELETE', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}`,
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } } });
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 409)) return false; // gone, or another namespace by now
    note(`${client.context}: could not delete namespace ${namespace}, which this run created (${describe(e)})`);
    return false;
  }
  note(`${client.context}: namespace ${namespace} created by this run, deleted again (it held nothing else)`);
  return true;
}

interface ApiResourceList { groupVersion: string; resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] }

/**
 * Everything a namespace holds, of every namespaced kind the cluster serves (as the namespace controller
 * sees it); undefined when some kind could not be listed.
 */
async function namespaceContents(client: KubeClient, namespace: string, deadline: number): Promise<Found[] | undefined> {
  const timeoutMs = Math.max(1000, deadline - Date.now());
  try {
    const groups = await client.request<{ groups: { preferredVersion: { groupVersion: string } }[] }>({ path: '/apis', timeoutMs });
    const versions = ['v1', ...groups.groups.map((g) => g.preferredVersion.groupVersion)];
    const lists = await Promise.all(versions.map((gv) => client.request<ApiResourceList>({ path: gv === 'v1' ? '/api/v1' : `/apis/${gv}`, timeoutMs })));
    const kinds = lists.flatMap((l) => l.resources.filter((x) => x.namespaced && !x.name.includes('/') && x.verbs.includes('list'))
      .map((x) => ({ apiVersion: l.groupVersion, kind: x.kind, plural: x.name })));
    const found = await Promise.all(kinds.map(async (k) => {
      const base = k.apiVersion === 'v1' ? '/api/v1' : `/apis/${k.apiVersion}`;
      const list = await client.request<{ items: { metadata: { name: string; labels?: Record<string, string> }; spec?: { holderIdentity?: string } }[] }>({
        path: `${base}/namespaces/${encodeURIComponent(namespace)}/${k.plural}`, query: { limit: 100 }, timeoutMs });
      return list.items.map((i): Found => ({ apiVersion: k.apiVersion, kind: k.kind, name: i.metadata.name, labels: i.metadata.labels, holderIdentity: i.spec?.holderIdentity }));
    }));
    return found.flat();
  } catch {
    return undefined;
  }
}
