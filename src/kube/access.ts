import pLimit from 'p-limit';
import type { KubeClient } from './client.js';

/** What the user (or a stored credential) may do: access reviews, asked in as few requests as possible. */
export interface Permission { verb: string; group: string; resource: string; namespaced: boolean; subresource?: string }

export async function selfAccessReview(client: KubeClient, p: Permission, namespace: string): Promise<boolean> {
  const r = await client.request<{ status: { allowed: boolean } }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', idempotent: true, // persists nothing
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: p.verb, group: p.group, resource: p.resource, subresource: p.subresource, namespace: p.namespaced ? namespace : undefined } } },
  });
  return r.status.allowed;
}

interface ResourceRule { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }

/** Whether the rules of a SelfSubjectRulesReview grant a permission outright (wildcards included). */
export function rulesGrant(rules: ResourceRule[], p: Permission): boolean {
  const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
  return rules.some((r) => !r.resourceNames?.length
    && (r.verbs.includes('*') || r.verbs.includes(p.verb))
    && (r.apiGroups ?? []).some((g) => g === '*' || g === p.group)
    && (r.resources ?? []).some((x) => x === '*' || x === resource || (p.subresource && x === `${p.resource}/*`)));
}

/**
 * The permissions the user lacks. One SelfSubjectRulesReview settles most (one request instead of
 * dozens); whatever it does not grant outright is asked one by one, since rules reviews can be
 * incomplete (webhook authorizers such as EKS's).
 */
export async function deniedPermissions(client: KubeClient, perms: Permission[], namespace: string): Promise<Permission[]> {
  const review = await client.request<{ status: { resourceRules?: ResourceRule[] } }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
  }).catch(() => ({ status: { resourceRules: [] } }));
  const unsure = perms.filter((p) => !rulesGrant(review.status.resourceRules ?? [], p));
  const limit = pLimit(8);
  const allowed = await Promise.all(unsure.map((p) => limit(() => selfAccessReview(client, p, namespace))));
  return unsure.filter((_, i) => !allowed[i]);
}

export const describePermission = (p: Permission) =>
  `${p.verb} ${p.resource}${p.subresource ? '/' + p.subresource : ''}${p.group ? '.' + p.group : ''}`;

