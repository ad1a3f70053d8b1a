import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { KubeObject } from '../model/object.js';
import { loadTemplate } from '../plan/templates.js';

export const CONTROL_PLANE_SA = 'k8ssandra-control-plane';
export const CONTEXT_ANNOTATION = 'k8ssandra.io/context';

/**
 * A valid Kubernetes name for a context (EKS ARNs, GKE names with underscores): lower-case, [a-z0-9-],
 * at most 63 characters. A name that had to change gets a short hash of the original, so that two
 * contexts never map to one ClientConfig.
 */
export function clientConfigName(context: string): string {
  const clean = context.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (clean === context && clean.length <= 63) return clean;
  const hash = createHash('sha256').update(context).digest('hex').slice(0, 6);
  return `${clean.slice(0, 56).replace(/-$/, '') || 'context'}-${hash}`;
}

export const kubeconfigSecretName = (context: string) => `${clientConfigName(context)}-kubeconfig`;

/** The data plane's service account for the control plane and its binding to the operator's own role. */
export function dataPlaneAccessObjects(namespace: string, clusterScoped: boolean): KubeObject[] {
  const [sa, binding] = loadTemplate('data-plane-access.yaml') as [KubeObject, KubeObject];
  sa.metadata.namespace = namespace;
  binding.metadata.namespace = namespace;
  binding.subjects[0].namespace = namespace;
  if (clusterScoped) {
    // The cluster-scoped release grants its operator a ClusterRole of the same name.
    binding.kind = 'ClusterRoleBinding';
    delete binding.metadata.namespace;
    binding.roleRef.kind = 'ClusterRole';
  }
  return [sa, binding];
}

export interface KubeconfigInput { context: string; server: string; caData?: string; insecure?: boolean; token: string; namespace: string }

/** The kubeconfig the control plane uses for one data plane: one context, named as the user's context. */
export function renderKubeconfig(k: KubeconfigInput): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': k.context,
    clusters: [{ name: k.context, cluster: { server: k.server,
      ...(k.caData ? { 'certificate-authority-data': k.caData } : {}), ...(k.insecure ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name: CONTROL_PLANE_SA, user: { token: k.token } }],
    contexts: [{ name: k.context, context: { cluster: k.context, user: CONTROL_PLANE_SA, namespace: k.namespace } }],
  });
}

/** The Secret (key `kubeconfig`) and the ClientConfig for one data plane, in the control plane's namespace. */
export function registrationObjects(context: string, namespace: string, kubeconfig: string): { secret: KubeObject; clientConfig: KubeObject } {
  const [secret, clientConfig] = loadTemplate('registration.yaml') as [KubeObject, KubeObject];
  const annotations = { [CONTEXT_ANNOTATION]: context };
  Object.assign(secret.metadata, { name: kubeconfigSecretName(context), namespace, annotations });
  secret.data.kubeconfig = Buffer.from(kubeconfig).toString('base64');
  Object.assign(clientConfig.metadata, { name: clientConfigName(context), namespace, annotations });
  clientConfig.spec = { contextName: context, kubeConfigSecret: { name: kubeconfigSecretName(context) } };
  return { secret, clientConfig };
}

/** A token is renewed (by install) when less than this share of its lifetime is left, or it no longer works. */
export const RENEW_WHEN_LEFT = 1 / 3;

/**
 * The two credentials the control plane can hold for a data plane: a bounded token from the
 * TokenRequest API (`token`), or the non-expiring token of a `kubernetes.io/service-account-token`
 * Secret (`secret`): the fallback where the API server caps token lifetimes (EKS 24h, GKE 48h).
 */
export type CredentialKind = 'token' | 'secret';

/** The label of our token Secrets in a data plane (several may exist during a rotation). */
export const TOKEN_SECRET_LABEL = 'k8ssandra.io/credential-of';

/** A token Secret for the control plane's service account; the token controller fills in `data.token`. */
export function tokenSecretObject(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'k8ssandra-cli', 'app.kubernetes.io/part-of': 'k8ssandra', [TOKEN_SECRET_LABEL]: CONTROL_PLANE_SA },
      annotations: { 'kubernetes.io/service-account.name': CONTROL_PLANE_SA } },
  } as KubeObject;
}

/** The name of a new token Secret: new on every rotation, so the old one keeps working until the ClientConfig points elsewhere. */
export const tokenSecretName = (now = Date.now()) => `${CONTROL_PLANE_SA}-token-${now.toString(36)}`;

/** What a stored or new token says about its lifetime: the kind it is, and for bounded tokens the lifetime granted. */
export function describeToken(token: string): { kind: CredentialKind; expiresAt?: Date; lifetimeSeconds?: number } {
  const c = tokenClaims(token);
  if (!c.expiresAt) return { kind: 'secret' };
  const lifetimeSeconds = c.issuedAt ? Math.round((c.expiresAt.getTime() - c.issuedAt.getTime()) / 1000) : undefined;
  return { kind: 'token', expiresAt: c.expiresAt, lifetimeSeconds };
}

/** Whether the API server granted less than asked (a cap), beyond a minute of rounding. */
export const lifetimeCapped = (askedSeconds: number, grantedSeconds: number) => grantedSeconds < askedSeconds - 60;

/**
 * When a working token should be replaced: once less than a third of its whole (granted) lifetime is
 * left; never for a token without expiry. Re-runs in between keep it, so they never churn.
 */
export function renewalDue(token: string, now: number, fallbackLifetimeSeconds: number): boolean {
  const t = describeToken(token);
  if (!t.expiresAt) return false;
  const lifetimeMs = (t.lifetimeSeconds ?? fallbackLifetimeSeconds) * 1000;
  return now >= t.expiresAt.getTime() - lifetimeMs * RENEW_WHEN_LEFT;
}

/** "24h", "2d", "90m": a lifetime as people read it. */
export function humanDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds >= 3600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.max(1, Math.round(seconds / 60))}m`;
}

/** The expiry in a service-account token (a JWT), read without verifying it; undefined when absent. */
export function tokenExpiry(token: string): Date | undefined {
  return tokenClaims(token).expiresAt;
}

/**
 * What a service-account token (a JWT) says about itself, read without verifying it: when it was
 * issued, when it expires, and its subject (system:serviceaccount:NAMESPACE:NAME). Never the token.
 */
export function tokenClaims(token: string): { issuedAt?: Date; expiresAt?: Date; subject?: string; secretName?: string } {
  try {
    const p = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: number; exp?: number; sub?: string;
      'kubernetes.io/serviceaccount/secret.name'?: string };
    return { issuedAt: p.iat ? new Date(p.iat * 1000) : undefined, expiresAt: p.exp ? new Date(p.exp * 1000) : undefined,
      subject: typeof p.sub === 'string' ? p.sub : undefined,
      // A token Secret's token (legacy format) names its Secret.
      secretName: p['kubernetes.io/serviceaccount/secret.name'] };
  } catch {
    return {};
  }
}
