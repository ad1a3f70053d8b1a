// When a namespace may be deleted: only one that this run created, and that holds, checked right before
// the delete, nothing but this run's own objects and what Kubernetes puts in every namespace. Anything
// else in it (an install, a K8ssandraCluster, another run's lock or probe pods) keeps it.
import { PROBE_RUN_LABEL } from '../routability/contract.js';
import { LOCK_NAME } from './lock.js';

/** An object found in a namespace, as much of it as the rule needs. */
export interface Found {
  apiVersion: string;
  kind: string;
  name: string;
  labels?: Record<string, string>;
  /** For a Lease: who holds it. */
  holderIdentity?: string;
}

/** A run as the rule knows it: the id its objects are labelled with, and its lock's holder identity. */
export interface RunIdentity { id: string; holderId: string }

const refOf = (o: Found) => `${o.kind}/${o.name}`;

/** What the API server and its controllers put in every namespace, and records of what happened there. */
export function isNamespaceDefault(o: Found): boolean {
  if (o.kind === 'Event') return true;
  if (o.apiVersion === 'v1' && o.kind === 'ConfigMap' && o.name === 'kube-root-ca.crt') return true;
  if (o.apiVersion === 'v1' && o.kind === 'ServiceAccount' && o.name === 'default') return true;
  return false;
}

/** Whether `o` belongs to this run alone: its lock, or its probe pods. */
export function isThisRuns(o: Found, run: RunIdentity): boolean {
  if (o.kind === 'Lease' && o.name === LOCK_NAME) return o.holderIdentity === run.holderId;
  return o.kind === 'Pod' && o.labels?.[PROBE_RUN_LABEL] === run.id;
}

export type NamespaceVerdict = { delete: true } | { delete: false; why: string; others: string[] };

/**
 * The verdict on a namespace this run created. `contents` is everything the namespace holds now, or
 * undefined when it could not all be read (then it stays: what cannot be seen may be someone's data).
 */
export function namespaceDeletion(namespace: string, contents: Found[] | undefined, run: RunIdentity): NamespaceVerdict {
  if (!contents) return { delete: false, why: `namespace ${namespace} is kept: not everything in it could be listed`, others: [] };
  const others = contents.filter((o) => !isNamespaceDefault(o) && !isThisRuns(o, run)).map(refOf);
  if (!others.length) return { delete: true };
  const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? ` and ${others.length - 5} more` : '');
  return { delete: false, why: `namespace ${namespace} is kept: it holds ${shown}`, others };
}
