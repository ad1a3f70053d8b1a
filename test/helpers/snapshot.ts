// What a cluster holds, object by object with its resourceVersion, as kubectl sees it: two snapshots
// that are equal prove that a command (a dry run) wrote nothing, not even an unchanged re-apply.
import { kubectl } from './bed.js';

/** The kinds k8ssandra writes (release, registrations, cert-manager), cluster-wide and in every namespace. */
const KINDS = ['namespaces', 'customresourcedefinitions', 'clusterroles', 'clusterrolebindings', 'validatingwebhookconfigurations',
  'mutatingwebhookconfigurations', 'deployments', 'serviceaccounts', 'secrets', 'configmaps', 'services', 'roles', 'rolebindings'];
/** Kinds of CRDs that may not exist yet (a fresh cluster). */
const CUSTOM_KINDS = ['clientconfigs.config.k8ssandra.io', 'issuers.cert-manager.io', 'certificates.cert-manager.io',
  'k8ssandraclusters.k8ssandra.io', 'cassandradatacenters.cassandra.datastax.com'];

/** kind/namespace/name -> resourceVersion, for every object of those kinds. */
export async function snapshot(context: string): Promise<Record<string, string>> {
  const list = (kinds: string[]) => kubectl(context, 'get', kinds.join(','), '-A', '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}');
  // One request round when every kind is served (the usual case); else ask which CRDs are there first.
  const out = await list([...KINDS, ...CUSTOM_KINDS]).catch(async (e: Error) => {
    if (!/doesn't have a resource type/.test(e.message)) throw e;
    const served = new Set((await kubectl(context, 'get', 'crd', '-o', 'name')).split('\n').map((n) => n.replace(/^.*\//, '')));
    return list([...KINDS, ...CUSTOM_KINDS.filter((k) => served.has(k))]);
  });
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
}

/**
 * Snapshots of several clusters once they have settled (two in a row equal, e.g. Deployment status
 * written after Available): the baseline against which a dry run must change nothing.
 */
export async function settledSnapshots(contexts: string[], timeoutMs = 30_000): Promise<Record<string, string>[]> {
  const deadline = Date.now() + timeoutMs;
  let last = await Promise.all(contexts.map(snapshot));
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const next = await Promise.all(contexts.map(snapshot));
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    if (Date.now() > deadline) throw new Error(`${contexts.join(', ')} never settled: objects kept changing for ${timeoutMs / 1000}s`);
    last = next;
  }
}
