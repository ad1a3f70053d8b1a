import { ApiError, ConnectError, createClient, type ClientOptions, type KubeClient } from '../kube/client.js';
import { usageError } from '../errors.js';
import { clusterOf, parseKubeconfig, resolveContexts, type ResolvedContext } from '../kube/kubeconfig.js';
import { selfAccessReview, type Permission } from '../kube/access.js';

/** What the control-plane operator needs in a data plane: managing CassandraDatacenters in the operator namespace. */
export const OPERATOR_ACCESS: Permission = { verb: 'create', group: 'cassandra.datastax.com', resource: 'cassandradatacenters', namespaced: true };

/** One question the verification of stored credentials asks, and the answer the mode intends. */
export interface AccessProbe { permission: Permission; namespace: string; expected: boolean; what: string }

/**
 * The intended permissions of the control plane's account, per mode. Namespace scope binds the
 * release's Role in the operator namespace: nothing outside it (Secrets in kube-system). Cluster scope
 * binds the release's ClusterRole cluster-wide on purpose (Secrets everywhere included), so it must
 * also work in other namespaces; neither mode may grant RBAC writes or wildcards (cluster-admin).
 */
export function intendedAccess(namespace: string, clusterScoped: boolean): AccessProbe[] {
  const probes: AccessProbe[] = [
    { permission: OPERATOR_ACCESS, namespace, expected: true, what: `manage CassandraDatacenters in ${namespace}` },
    { permission: { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', namespaced: false }, namespace, expected: false,
      what: 'create ClusterRoleBindings' },
    { permission: { verb: '*', group: '*', resource: '*', namespaced: false }, namespace, expected: false, what: 'do anything (cluster-admin)' },
  ];
  if (clusterScoped) {
    const elsewhere = namespace === 'default' ? 'kube-public' : 'default';
    probes.push({ permission: OPERATOR_ACCESS, namespace: elsewhere, expected: true, what: `manage CassandraDatacenters in other namespaces (${elsewhere})` });
  } else {
    probes.push({ permission: { verb: 'get', group: '', resource: 'secrets', namespaced: true }, namespace: 'kube-system', expected: false, what: 'read Secrets in kube-system' });
  }
  return probes;
}

/**
 * The answers (in the order of `probes`) against the intent: what is missing, what is granted beyond it,
 * and whether the operator's own access (manage CassandraDatacenters in the namespace) is there, which
 * decides whether stored credentials are kept.
 */
export interface AccessVerdict { missing: string[]; excess: string[]; operatorAccess: boolean }

export function accessVerdict(probes: AccessProbe[], allowed: boolean[]): AccessVerdict {
  const own = probes.findIndex((p) => p.permission === OPERATOR_ACCESS); // in the namespace: intendedAccess asks it first
  return {
    missing: probes.filter((p, i) => p.expected && !allowed[i]).map((p) => p.what),
    excess: probes.filter((p, i) => !p.expected && allowed[i]).map((p) => p.what),
    operatorAccess: own >= 0 && !!allowed[own],
  };
}

/** Asks the data plane every question of `intendedAccess` with the given credentials. */
export async function checkAccess(client: KubeClient, namespace: string, clusterScoped: boolean): Promise<AccessVerdict> {
  const probes = intendedAccess(namespace, clusterScoped);
  const allowed = await Promise.all(probes.map((p) => selfAccessReview(client, p.permission, p.namespace)));
  return accessVerdict(probes, allowed);
}

/**
 * The context a stored kubeconfig (a ClientConfig's Secret) names, resolved with kubectl's rules:
 * as the control-plane operator does, the context must exist in it. Throws a usage error otherwise.
 */
export function storedContext(kubeconfig: string, contextName: string, source = 'stored kubeconfig'): ResolvedContext {
  const ctx = resolveContexts(parseKubeconfig(kubeconfig, source), [contextName])[0]!;
  // Data read from a cluster must not run programs on this machine: no credential plugins from a Secret.
  const user = (ctx.kubeconfig.users as { user: Record<string, unknown> }[])[0]?.user ?? {};
  const plugin = ['exec', 'auth-provider'].find((k) => user[k] !== undefined);
  if (plugin) throw usageError(`${source}: context ${contextName} uses an ${plugin} credential plugin, which is not run from a Secret`, 'store a token or a client certificate in it');
  return ctx;
}

/**
 * A client that talks to a data plane with the credentials the control plane holds for it. From this
 * machine it goes the way `via` (the data plane's own context) goes to the same server: through its
 * kubeconfig proxy-url; the environment's proxies (opts.env) otherwise.
 */
export async function storedClient(kubeconfig: string, contextName: string, opts: ClientOptions = {}, via?: ResolvedContext): Promise<KubeClient> {
  const ctx = storedContext(kubeconfig, contextName);
  const proxy = via && via.server === ctx.server ? clusterOf(via)['proxy-url'] : undefined;
  if (proxy && !clusterOf(ctx)['proxy-url']) clusterOf(ctx)['proxy-url'] = proxy;
  return createClient(ctx, opts);
}

/** Whether the credentials may do what the control-plane operator needs in the namespace. */
export const operatorAccessAllowed = (client: KubeClient, namespace: string) => selfAccessReview(client, OPERATOR_ACCESS, namespace);

/** Why stored credentials did not work: rejected by the server, or the server could not be reached. */
export function credentialFailure(e: unknown): { kind: 'rejected' | 'unreachable' | 'invalid'; reason: string } {
  if (e instanceof ApiError && e.status === 401) return { kind: 'rejected', reason: 'the token was rejected (401 Unauthorized)' };
  if (e instanceof ConnectError) return { kind: 'unreachable', reason: e.message };
  if (e instanceof ApiError) return { kind: 'rejected', reason: `${e.status} ${e.message}` };
  return { kind: 'invalid', reason: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
}
