import { describe, expect, it } from 'vitest';
import { APPLIED_HASH, contentHash, FIELD_MANAGER, upToDate } from '../../src/kube/resources.js';
import { rulesGrant } from '../../src/kube/access.js';

describe('skipping objects that are already as we applied them', () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' }, data: { a: '1' } };
  const hash = contentHash(obj);
  const meta = (fields: object[], h = hash) => ({ name: 'x', annotations: { [APPLIED_HASH]: h }, managedFields: fields });
  const ours = { manager: FIELD_MANAGER, operation: 'Apply', time: '2026-11-25T10:00:00Z' };

  it('skips when the hash matches and nobody wrote since', () => {
    expect(upToDate(meta([ours, { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', time: '2026-11-25T11:00:00Z' }]), hash)).toBe(true);
  });
  it('applies when the content we would apply differs', () => {
    expect(upToDate(meta([ours], 'other'), hash)).toBe(false);
    expect(contentHash({ ...obj, data: { a: '2' } })).not.toBe(hash);
  });
  it('applies when another manager wrote after us (an edit of our fields shows up there)', () => {
    expect(upToDate(meta([ours, { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-25T10:00:00Z' }]), hash)).toBe(false);
    expect(upToDate(meta([ours, { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-25T09:00:00Z' }]), hash)).toBe(true);
  });
  it('applies when the object does not exist or was never applied by us', () => {
    expect(upToDate(undefined, hash)).toBe(false);
    expect(upToDate(meta([{ ...ours, manager: 'someone' }]), hash)).toBe(false);
  });
});

describe('permission rules', () => {
  const p = { verb: 'create', group: 'apps', resource: 'deployments', namespaced: true };
  it('grants through wildcards and exact matches, never through resourceNames', () => {
    expect(rulesGrant([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], p)).toBe(true);
    expect(rulesGrant([{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'] }], p)).toBe(true);
    expect(rulesGrant([{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }], p)).toBe(false);
    expect(rulesGrant([{ verbs: ['create'], apiGroups: [''], resources: ['deployments'] }], p)).toBe(false);
    expect(rulesGrant([{ verbs: ['create'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['x'] }], p)).toBe(false);
    const token = { verb: 'create', group: '', resource: 'serviceaccounts', subresource: 'token', namespaced: true };
    expect(rulesGrant([{ verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts'] }], token)).toBe(false);
    expect(rulesGrant([{ verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'] }], token)).toBe(true);
  });
});
