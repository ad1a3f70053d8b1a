import { FIELD_MANAGER, fieldManagers, managedByUs } from '../model/field-manager.js';
import type { KubeObject } from '../model/object.js';
import { CONTEXT_ANNOTATION } from '../registration/objects.js';
import { INSTALL_RECORD_NAME } from './install-record.js';

/** What uninstall does with one object that exists: delete it (in a phase), or keep it and say why. */
export interface Removal {
  object: KubeObject;
  action: 'delete' | 'keep';
  reason?: string;
  /** Deletions run phase by phase, across every cluster: see `phaseOf`. */
  phase: number;
}

export const KEPT_NAMESPACE = 'namespaces are kept: they may hold your data (delete yours with kubectl when it is empty)';
export const KEPT_CRD = 'CRDs and custom resources are kept (--delete-crds deletes them)';

/**
 * The order of deletion. Registrations first (a ClientConfig before its Secret, so the control plane
 * never reads a ClientConfig without its Secret), then the webhook configurations (so that nothing
 * calls a webhook whose server is gone), then everything else in reverse apply order, CRDs last.
 */
export const PHASES = [0, 1, 2, 3, 4] as const;

export function phaseOf(o: KubeObject): number {
  if (o.kind === 'ClientConfig') return 0;
  if (o.kind === 'Secret' && o.metadata.annotations?.[CONTEXT_ANNOTATION]) return 1;
  if (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration') return 2;
  // The install record goes last: an uninstall stopped half-way can still find the release it names.
  if (o.kind === 'CustomResourceDefinition' || (o.kind === 'ConfigMap' && o.metadata.name === INSTALL_RECORD_NAME)) return 4;
  return 3;
}

/**
 * Decides, for every object that exists, whether uninstall deletes it. Only objects our field manager
 * wrote are deleted: what a user or another tool made is kept, even under a name of the release.
 * Namespaces are always kept; CRDs only go with --delete-crds. The input order is kept within a phase.
 */
export function planRemoval(existing: KubeObject[], opts: { deleteCrds: boolean }): Removal[] {
  return existing.map((object) => {
    const phase = phaseOf(object);
    if (!managedByUs(object)) return { object, phase, action: 'keep', reason: `not created by ${FIELD_MANAGER} (managed by ${managers(object)})` };
    if (object.kind === 'Namespace') return { object, phase, action: 'keep', reason: KEPT_NAMESPACE };
    if (object.kind === 'CustomResourceDefinition' && !opts.deleteCrds) return { object, phase, action: 'keep', reason: KEPT_CRD };
    return { object, phase, action: 'delete' };
  });
}

const managers = (o: KubeObject) => fieldManagers(o.metadata).join(', ') || 'nobody';
