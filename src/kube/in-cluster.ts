import { existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { MergedKubeconfig } from './kubeconfig.js';

/** Where Kubernetes mounts a pod's service account, and where client-go's rest.InClusterConfig reads it. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The context made from a pod's service account: kubectl needs no name for it, `--contexts` does. */
export const IN_CLUSTER = 'in-cluster';

const isFile = (f: string) => { try { return statSync(f).isFile(); } catch { return false; } };

/**
 * The kubeconfig client-go makes inside a pod that has none: the API server at
 * KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, the service account's token (a tokenFile, so it is
 * read as the kubelet rotates it) and its CA when there is one (else the system's roots, as client-go),
 * the namespace from POD_NAMESPACE or the service account. Undefined outside a pod.
 */
export function inClusterKubeconfig(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR): MergedKubeconfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = path.join(dir, 'token');
  if (!host || !port || !isFile(tokenFile)) return undefined;
  const ca = path.join(dir, 'ca.crt');
  let namespace = env.POD_NAMESPACE;
  if (!namespace) try { namespace = readFileSync(path.join(dir, 'namespace'), 'utf8').trim() || undefined; } catch { /* the default namespace */ }
  const entry = (value: Record<string, unknown>) => new Map([[IN_CLUSTER, { name: IN_CLUSTER, value, file: dir }]]);
  return {
    files: [],
    currentContext: IN_CLUSTER,
    clusters: entry({ server: `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`, ...(existsSync(ca) ? { 'certificate-authority': ca } : {}) }),
    users: entry({ tokenFile }),
    contexts: entry({ cluster: IN_CLUSTER, user: IN_CLUSTER, ...(namespace ? { namespace } : {}) }),
  };
}
