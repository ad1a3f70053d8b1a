// Impersonation as kubectl sends it (client-go transport/round_trippers.go): the kubeconfig user's
// `as`, `as-uid`, `as-groups` and `as-user-extra` become Impersonate-* headers on every request.

type Raw = Record<string, any>;

/** The Impersonate-* headers of a kubeconfig user; none unless `as` is set (kubectl ignores the rest then). */
export function impersonationHeaders(user: Raw): Record<string, string | string[]> {
  if (typeof user.as !== 'string' || !user.as) return {};
  const headers: Record<string, string | string[]> = { 'Impersonate-User': user.as };
  if (user['as-uid']) headers['Impersonate-Uid'] = String(user['as-uid']);
  const groups = ((user['as-groups'] ?? []) as unknown[]).map(String);
  if (groups.length) headers['Impersonate-Group'] = groups; // one header line per group
  for (const [key, values] of Object.entries((user['as-user-extra'] ?? {}) as Record<string, unknown[]>)) {
    const list = (values ?? []).map(String);
    if (list.length) headers[`Impersonate-Extra-${headerKeyEscape(key)}`] = list;
  }
  return headers;
}

/** HTTP token characters stay; every other byte of the key's UTF-8, and "%", is percent-encoded (the API server decodes it). */
export function headerKeyEscape(key: string): string {
  return [...Buffer.from(key, 'utf8')].map((b) => {
    const c = String.fromCharCode(b);
    return /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}
