import { FIELD_MANAGER, fieldManagers, managedByUs } from '../model/field-manager.js';
import type { KubeObject } from '../model/object.js';

/** Who installed an object, from what it carries: Helm's label and annotations, else its field managers. */
export type Installer =
  | { by: 'k8ssandra' }
  | { by: 'helm'; release?: string; namespace?: string }
  | { by: 'other'; tool: string; managers: string[] };

const HELM_MANAGED_BY = 'Helm';
export const HELM_RELEASE_NAME = 'meta.helm.sh/release-name';
export const HELM_RELEASE_NAMESPACE = 'meta.helm.sh/release-namespace';

// Field managers of tools people use to install operators, named as people know them.
const TOOLS: [RegExp, string][] = [
  [/^kubectl/, 'kubectl'], [/^helm$/, 'Helm'], [/^argocd/, 'Argo CD'], [/^(kustomize|helm)-controller$/, 'Flux'], [/^pulumi/, 'Pulumi'],
  [/^(terraform|Terraform)/, 'Terraform'], [/^kapp/, 'kapp'],
];

/**
 * Who installed an object (the operator's Deployment, say). Helm marks what it installs; a release
 * upstream renders with kustomize also carries `managed-by: kustomize`, ours included, so that label
 * says nothing. Helm's marks win over our field manager: an object we applied over a Helm install
 * (with --force) still belongs to a Helm release, and a later `helm upgrade` would fight us over it.
 */
export function installedBy(meta: KubeObject['metadata']): Installer {
  const helmRelease = meta.annotations?.[HELM_RELEASE_NAME];
  if (meta.labels?.['app.kubernetes.io/managed-by'] === HELM_MANAGED_BY || helmRelease) {
    return { by: 'helm', release: helmRelease, namespace: meta.annotations?.[HELM_RELEASE_NAMESPACE] };
  }
  if (managedByUs({ apiVersion: '', kind: '', metadata: meta })) return { by: 'k8ssandra' };
  const managers = fieldManagers(meta).filter((m) => m !== FIELD_MANAGER);
  // Controllers write status and replicas of every Deployment: they installed nothing.
  const installers = managers.filter((m) => !/^kube-controller-manager$|^kube-scheduler$/.test(m));
  const tool = installers.map((m) => TOOLS.find(([re]) => re.test(m))?.[1]).find(Boolean);
  return { by: 'other', tool: tool ?? (installers[0] ?? 'an unknown tool'), managers: installers };
}

/** "installed by Helm release k8ssandra-operator in namespace k8ssandra-operator", for install, upgrade and status. */
export function describeInstaller(i: Installer): string {
  if (i.by === 'k8ssandra') return `installed by ${FIELD_MANAGER}`;
  if (i.by === 'helm') {
    return `installed by Helm${i.release ? ` release ${i.release}` : ''}${i.namespace ? ` in namespace ${i.namespace}` : ''}`;
  }
  const named = i.managers.length && !(i.managers.length === 1 && i.managers[0] === i.tool) ? ` (field manager ${i.managers.join(', ')})` : '';
  return `installed by ${i.tool}${named}`;
}

/** What to do about an install that is not ours: keep managing it the way it was installed, or take it over. */
export function foreignHint(i: Installer, command: 'install' | 'upgrade'): string {
  if (i.by === 'helm') {
    return `upgrade it with Helm (helm upgrade${i.release ? ` ${i.release}` : ''}${i.namespace ? ` -n ${i.namespace}` : ''}), or pass --force to let k8ssandra ${command} take it over (Helm then no longer matches what runs)`;
  }
  return `keep using ${i.by === 'other' ? i.tool : 'that tool'} for it, or pass --force to let k8ssandra ${command} take it over`;
}
