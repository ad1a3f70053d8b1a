import { ApiError, ConnectError, createClient, type ClientOptions, type KubeClient } from '../kube/client.js';
import { usageError } from '../errors.js';
import { parseKubeconfig, resolveContexts, type ResolvedContext } from '../kube/kubeconfig.js';
import { selfAccessReview, type Permission } from './preflight.js';

/** The intended permissions of the control plane's account: allowed in the namespace, nothing beyond. */
export const OPERATOR_ACCESS: Permission = { verb: 'create', group: 'cassandra.datastax.com', resource: 'cassandradatacenters', namespaced: true };
export const SECRETS_ELSEWHERE: Permission = { verb: 'get', group: '', resource: 'secrets', namespaced: true };

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

/** A client that talks to a data plane with the credentials the control plane holds for it. */
export async function storedClient(kubeconfig: string, contextName: string, opts: ClientOptions = {}): Promise<KubeClient> {
  return createClient(storedContext(kubeconfig, contextName), opts);
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
