import { describe, expect, it } from 'vitest';
import { APPLIED_HASH, contentHash, FIELD_MANAGER, overlaps, upToDate } from '../../src/model/field-manager.js';
import { rulesGrant } from '../../src/kube/access.js';

describe('skipping objects that are already as we applied them', () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' }, data: { a: '1' } };
  const hash = contentHash(obj);
  const meta = (fields: object[], h = hash) => ({ name: 'x', annotations: { [APPLIED_HASH]: h }, managedFields: fields });
  const ours = { manager: FIELD_MANAGER, operation: 'Apply', time: '2026-11-25T10:00:00Z' };

  it('skips when the hash matches and nobody wrote since', () => {
    expect(upToDate(meta([ours, { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', time: '2026-11-25T11:00:00Z' }]), obj)).toBe(true);
  });
  it('applies when the content we would apply differs', () => {
    expect(upToDate(meta([ours], 'other'), obj)).toBe(false);
    expect(contentHash({ ...obj, data: { a: '2' } })).not.toBe(hash);
  });
  it('applies when another manager wrote after us (an edit of our fields shows up there)', () => {
    expect(upToDate(meta([ours, { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-25T10:00:00Z' }]), obj)).toBe(false);
    expect(upToDate(meta([ours, { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-25T09:00:00Z' }]), obj)).toBe(true);
  });
  it('skips when the other write is ours too (the run lock created the namespace the release is then applied to)', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'k8ssandra-operator', labels: { 'control-plane': 'k8ssandra-operator' } } };
    const created = { manager: FIELD_MANAGER, operation: 'Update', time: ours.time, fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:kubernetes.io/metadata.name': {} } } } };
    const m = (fields: object[]) => ({ name: ns.metadata.name, annotations: { [APPLIED_HASH]: contentHash(ns) }, managedFields: fields });
    expect(upToDate(m([ours, created]), ns)).toBe(true);
    expect(upToDate(m([ours, { ...created, manager: 'kubectl-create' }]), ns)).toBe(false);
  });
  it('skips when a controller wrote, at the same second, only fields we do not set (a token Secret\'s data)', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 't', annotations: { 'kubernetes.io/service-account.name': 'sa' } }, type: 'kubernetes.io/service-account-token' };
    const filled = { manager: 'kube-controller-manager', operation: 'Update', time: ours.time,
      fieldsV1: { 'f:data': { '.': {}, 'f:token': {} }, 'f:metadata': { 'f:annotations': { 'f:kubernetes.io/service-account.uid': {} } } } };
    const m = { name: 't', annotations: { [APPLIED_HASH]: contentHash(secret) }, managedFields: [ours, filled] };
    expect(upToDate(m, secret)).toBe(true);
    // The same controller writing an annotation we set is an edit of ours.
    const edit = { ...filled, fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:kubernetes.io/service-account.name': {} } } } };
    expect(upToDate({ ...m, managedFields: [ours, edit] }, secret)).toBe(false);
  });
  it('counts a field set as overlapping when it names a field we set, a list we set, or the object itself', () => {
    const d = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'c' }] } } } };
    expect(overlaps({ 'f:spec': { 'f:replicas': {} } }, d)).toBe(true);
    expect(overlaps({ 'f:spec': { 'f:paused': {} } }, d)).toBe(false);
    expect(overlaps({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"x"}': {} } } } } }, d)).toBe(true);
    expect(overlaps({ '.': {} }, d)).toBe(true);
    expect(overlaps({ 'f:status': { 'f:x': {} } }, d)).toBe(false);
  });
  it('applies when the object does not exist or was never applied by us', () => {
    expect(upToDate(undefined, obj)).toBe(false);
    expect(upToDate(meta([{ ...ours, manager: 'someone' }]), obj)).toBe(false);
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
