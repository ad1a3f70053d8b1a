import { describe, expect, it } from 'vitest';
import { FIELD_MANAGER } from '../../src/model/field-manager.js';
import { describeInstaller, foreignHint, installedBy } from '../../src/plan/installed-by.js';

const meta = (over: object) => ({ name: 'k8ssandra-operator', namespace: 'k8ssandra-operator', ...over });
const fields = (...managers: string[]) => managers.map((manager) => ({ manager, operation: 'Update' }));

describe('who installed the operator', () => {
  it('names a Helm release from its label and annotations', () => {
    const helm = installedBy(meta({ labels: { 'app.kubernetes.io/managed-by': 'Helm' },
      annotations: { 'meta.helm.sh/release-name': 'k8ssandra-operator', 'meta.helm.sh/release-namespace': 'operators' }, managedFields: fields('helm') }));
    expect(helm).toEqual({ by: 'helm', release: 'k8ssandra-operator', namespace: 'operators' });
    expect(describeInstaller(helm)).toBe('installed by Helm release k8ssandra-operator in namespace operators');
    expect(foreignHint(helm, 'upgrade')).toBe('upgrade it with Helm (helm upgrade k8ssandra-operator -n operators), or pass --force to let k8ssandra upgrade take it over (Helm then no longer matches what runs)');
    // Either mark alone is enough; Helm's marks outweigh our field manager.
    expect(installedBy(meta({ annotations: { 'meta.helm.sh/release-name': 'x' } }))).toEqual({ by: 'helm', release: 'x', namespace: undefined });
    expect(describeInstaller(installedBy(meta({ labels: { 'app.kubernetes.io/managed-by': 'Helm' }, managedFields: fields(FIELD_MANAGER) })))).toBe('installed by Helm');
  });

  it('is ours when our field manager wrote it, whatever kustomize label the release carries', () => {
    expect(installedBy(meta({ labels: { 'app.kubernetes.io/managed-by': 'kustomize' }, managedFields: fields(FIELD_MANAGER, 'kube-controller-manager') })))
      .toEqual({ by: 'k8ssandra' });
  });

  it('names kubectl and other tools by their field managers, not the controllers that write status', () => {
    const kubectl = installedBy(meta({ managedFields: fields('kube-controller-manager', 'kubectl-client-side-apply') }));
    expect(kubectl).toEqual({ by: 'other', tool: 'kubectl', managers: ['kubectl-client-side-apply'] });
    expect(describeInstaller(kubectl)).toBe('installed by kubectl (field manager kubectl-client-side-apply)');
    expect(foreignHint(kubectl, 'install')).toBe('keep using kubectl for it, or pass --force to let k8ssandra install take it over');
    expect(describeInstaller(installedBy(meta({ managedFields: fields('argocd-controller') })))).toBe('installed by Argo CD (field manager argocd-controller)');
    expect(describeInstaller(installedBy(meta({ managedFields: fields('my-operator') })))).toBe('installed by my-operator');
    expect(describeInstaller(installedBy(meta({})))).toBe('installed by an unknown tool');
  });
});
