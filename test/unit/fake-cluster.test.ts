import { describe, expect, it } from 'vitest';
import { ApiError, createClient } from '../../src/kube/client.js';
import { FIELD_MANAGER } from '../../src/model/field-manager.js';
import type { KubeObject } from '../../src/model/object.js';
import { applyObject, deleteObject, getObject, listMetadata, listObjects } from '../../src/kube/resources.js';
import { crdObject, FakeCluster } from '../fakes/fake-cluster.js';

const cm = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', labels }, data });
const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

describe('the fake cluster', () => {
  it('serves discovery for built-in kinds and for CRDs once applied, Established', async () => {
    const f = new FakeCluster();
    const c = f.client();
    await expect(c.request({ path: '/apis/example.io/v1' })).rejects.toMatchObject({ status: 404, reason: 'NotFound' });
    await applyObject(c, crdObject('example.io', 'Widget', 'widgets', ['v1', 'v1beta1']));
    const list = await c.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>({ path: '/apis/example.io/v1beta1' });
    expect(list.resources).toEqual([expect.objectContaining({ name: 'widgets', kind: 'Widget', namespaced: true })]);
    const groups = await c.request<{ groups: { name: string }[] }>({ path: '/apis' });
    expect(groups.groups.map((g) => g.name)).toContain('example.io');
    expect(f.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.io' })!.status.conditions)
      .toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }));
  });

  it('server-side apply: created, unchanged without a new resourceVersion, changed with one; fields dropped are removed', async () => {
    const f = new FakeCluster();
    const c = f.client();
    f.seed(ns('ns'));
    expect((await applyObject(c, cm('a', { x: '1', y: '2' }))).action).toBe('created');
    const rv = f.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' })!.metadata.resourceVersion;
    expect((await applyObject(c, cm('a', { x: '1', y: '2' }), { before: undefined })).action).toBe('unchanged');
    // Forced past the up-to-date shortcut: the server itself sees no change and keeps the resourceVersion.
    const same = await c.request<KubeObject>({ method: 'PATCH', path: '/api/v1/namespaces/ns/configmaps/a', contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER }, body: f.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' }) });
    expect(same.metadata.resourceVersion).toBe(rv);
    expect((await applyObject(c, cm('a', { x: '1' }))).action).toBe('changed');
    const now = f.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' })!;
    expect(now.data).toEqual({ x: '1' });
    expect(Number(now.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(now.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: FIELD_MANAGER, operation: 'Apply' }));
  });

  it('a field another manager owns is a 409 naming it, unless forced; a dry run stores nothing', async () => {
    const f = new FakeCluster();
    const c = f.client();
    f.seed(ns('ns'));
    await applyObject(c, cm('a', { x: '1' }));
    f.edit({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' }, (o) => { o.data.x = 'edited'; });
    const err = await applyObject(c, cm('a', { x: '2' })).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.x' });
    const dry = await applyObject(c, cm('a', { x: '2' }), { force: true, dryRun: true });
    expect(dry).toMatchObject({ action: 'changed', tookOverFrom: ['kubectl-edit'] });
    expect(f.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' })!.data.x).toBe('edited');
    expect(await applyObject(c, cm('a', { x: '2' }), { force: true })).toMatchObject({ action: 'changed', tookOverFrom: ['kubectl-edit'] });
    expect(f.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' })!.data.x).toBe('2');
  });

  it('lists with label and field selectors, pages, and metadata only; a namespaced object needs its namespace', async () => {
    const f = new FakeCluster();
    const c = f.client();
    await expect(applyObject(c, cm('a', {}))).rejects.toMatchObject({ status: 404, message: 'namespaces "ns" not found' });
    f.seed(ns('ns'), cm('a', {}, { app: 'x' }), cm('b', {}, { app: 'y' }), cm('c', {}, {}));
    const names = (l: KubeObject[]) => l.map((o) => o.metadata.name);
    expect(names(await listObjects(c, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' }, { labelSelector: 'app' }))).toEqual(['a', 'b']);
    expect(names(await listObjects(c, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' }, { labelSelector: 'app!=x,app' }))).toEqual(['b']);
    expect(names(await listObjects(c, { apiVersion: 'v1', kind: 'ConfigMap' }, { fieldSelector: 'metadata.name=c' }))).toEqual(['c']);
    expect(names(await listObjects(c, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' }, { limit: 1 }))).toEqual(['a', 'b', 'c', 'kube-root-ca.crt']);
    expect([...(await listMetadata(c, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' })).keys()]).toEqual(['a', 'b', 'c', 'kube-root-ca.crt']);
    await expect(listObjects(c, { apiVersion: 'v1', kind: 'ConfigMap' }, { fieldSelector: 'data.x=1' })).rejects.toMatchObject({ status: 400 });
  });

  it('deletes with a uid precondition; a namespace takes its objects with it', async () => {
    const f = new FakeCluster();
    const c = f.client();
    f.seed(ns('ns'), cm('a', {}));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' };
    await expect(deleteObject(c, ref, { uid: 'other' })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/Precondition failed: UID/) });
    expect(await deleteObject(c, ref, { uid: f.get(ref)!.metadata.uid, dryRun: true })).toBe(true);
    expect(f.get(ref)).toBeDefined();
    expect(await deleteObject(c, ref)).toBe(true);
    expect(await getObject(c, ref)).toBeNull();
    f.seed(cm('b', {}));
    await deleteObject(c, { apiVersion: 'v1', kind: 'Namespace', name: 'ns' });
    expect(f.list('v1', 'ConfigMap').filter((o) => o.metadata.namespace === 'ns')).toEqual([]);
  });

  it('authorizes by rules and RBAC, answers access reviews, and mints tokens that work over HTTP until they expire', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const f = new FakeCluster({ name: 'dp', rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'] }], maxTokenSeconds: 3600, now: () => now });
    const c = f.client();
    await expect(c.request({ path: '/api/v1/secrets' })).rejects.toMatchObject({ status: 403, message: 'secrets is forbidden: User "admin" cannot list resource "secrets" in API group "" at the cluster scope' });
    f.seed(ns('ns'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'ns' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'ns' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'rb', namespace: 'ns' }, roleRef: { kind: 'Role', name: 'r' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }] });
    await expect(c.request({ method: 'POST', path: '/api/v1/namespaces/ns/serviceaccounts/sa/token', body: {} })).rejects.toMatchObject({ status: 403 });
    const tr = await f.client({ rules: [{ verbs: ['create'], apiGroups: [''], resources: ['serviceaccounts/token'] }] })
      .request<{ status: { token: string; expirationTimestamp: string } }>({ method: 'POST', path: '/api/v1/namespaces/ns/serviceaccounts/sa/token', body: { spec: { expirationSeconds: 86_400 } } });
    expect(tr.status.expirationTimestamp).toBe('2026-01-01T01:00:00Z');
    const server = await f.serve();
    try {
      const ctx = { name: 'dp', clusterName: 'dp', server, kubeconfig: { clusters: [{ name: 'dp', cluster: { server } }], users: [{ name: 'u', user: { token: tr.status.token } }] } };
      const sa = await createClient(ctx, { retries: 0 });
      const review = (namespace: string) => sa.request<{ status: { allowed: boolean } }>({ method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        body: { spec: { resourceAttributes: { verb: 'get', group: '', resource: 'secrets', namespace } } } });
      expect((await review('ns')).status.allowed).toBe(true);
      expect((await review('kube-system')).status.allowed).toBe(false);
      now += 3600_000;
      await expect(review('ns')).rejects.toMatchObject({ status: 401, reason: 'Unauthorized' });
    } finally {
      await f.close();
    }
  });
  it('answers the same error in memory as over HTTP through the real client', async () => {
    const f = new FakeCluster({ name: 'dp', rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }] });
    const server = await f.serve();
    try {
      const real = await createClient({ name: 'dp', clusterName: 'dp', server,
        kubeconfig: { clusters: [{ name: 'dp', cluster: { server } }], users: [{ name: 'u', user: { token: f.adminToken } }] } }, { retries: 0 });
      const fields = (e: ApiError) => ({ name: e.name, status: e.status, reason: e.reason, message: e.message, context: e.context });
      for (const path of ['/api/v1/namespaces/default/secrets/x', '/api/v1/namespaces/default/configmaps/missing', '/apis/nowhere.io/v1']) {
        const viaHttp = await real.request({ path }).catch((e) => e);
        const inMemory = await f.client().request({ path }).catch((e) => e);
        expect(viaHttp).toBeInstanceOf(ApiError);
        expect(fields(inMemory)).toEqual(fields(viaHttp));
      }
    } finally {
      await f.close();
    }
  });
});
