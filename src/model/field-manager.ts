// Server-side apply's bookkeeping read as rules: which objects and fields are ours (no I/O here).
import { createHash } from 'node:crypto';
import type { KubeObject, ObjectMeta } from './object.js';

/** Our field manager: every object the tool writes is applied under this name, and only this one. */
export const FIELD_MANAGER = 'k8ssandra-cli';

/** Set on every object we apply: the hash of what we applied, so that a re-run can skip what is current. */
export const APPLIED_HASH = 'k8ssandra.io/applied-hash';

export function contentHash(obj: KubeObject): string {
  let hash = hashes.get(obj);
  if (!hash) hashes.set(obj, (hash = createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 32)));
  return hash;
}
// Rendered objects are shared by the clusters of a role (see renderForCluster): each is hashed once.
const hashes = new WeakMap<KubeObject, string>();

interface ManagedFields { manager: string; operation: string; time?: string; subresource?: string; fieldsV1?: FieldSet }
type FieldSet = { [key: string]: FieldSet };

/**
 * Whether an object is exactly as we last applied it: it carries the hash of `desired` (what we would
 * apply now), and no other manager has written any of its fields since our last apply. Status writes
 * and fields we do not set (a token controller filling a Secret's data) do not count; an edit of our
 * fields by someone else shows up in managedFields, at our apply's time or later, on a field we set.
 */
export function upToDate(meta: ObjectMeta | undefined, desired: KubeObject): boolean {
  if (!meta || meta.annotations?.[APPLIED_HASH] !== contentHash(desired)) return false;
  const fields = (meta.managedFields ?? []) as ManagedFields[];
  const ours = fields.find((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply');
  if (!ours?.time) return false;
  // Our own other writes count as ours: the run lock creates a namespace before the release is applied to it.
  return fields.every((f) => f.manager === FIELD_MANAGER || f.subresource === 'status' || (f.time ?? '') < ours.time!
    || !overlaps(f.fieldsV1 ?? { '.': {} }, desired));
}

/**
 * Whether a managedFields set names a field that `value` sets. List entries (`k:`, `v:`, `i:` keys)
 * count when `value` has the list at all: telling items apart needs the schema's merge keys.
 */
export function overlaps(set: FieldSet, value: unknown): boolean {
  if (value === undefined) return false;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return true;
  return Object.entries(set).some(([key, sub]) => {
    if (key === '.') return true;
    if (!key.startsWith('f:')) return true;
    const child = (value as Record<string, unknown>)[key.slice(2)];
    if (child === undefined) return false;
    return Object.keys(sub).length === 0 || overlaps(sub, child);
  });
}

/** The managers named in a server-side apply conflict ("conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"). */
export function conflictManagers(message: string): string[] {
  const names = [...message.matchAll(/conflicts? with "([^"]+)"/g)].map((m) => m[1]!);
  return names.length ? [...new Set(names)] : ['another field manager'];
}

/** Whether our field manager wrote (part of) this object: only such objects may be deleted by us. */
export function managedByUs(o: KubeObject): boolean {
  return (o.metadata.managedFields ?? []).some((m) => (m as { manager?: string }).manager === FIELD_MANAGER);
}

/** The field managers that wrote an object, each once, in the order of its managedFields. */
export const fieldManagers = (meta: ObjectMeta): string[] =>
  [...new Set((meta.managedFields ?? []).map((m) => (m as { manager?: string }).manager).filter((m): m is string => !!m))];
