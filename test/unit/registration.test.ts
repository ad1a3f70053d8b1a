import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clientConfigName, dataPlaneAccessObjects, describeToken, humanDuration, lifetimeCapped, registrationObjects, renderKubeconfig, renewalDue, tokenClaims, tokenExpiry,
  tokenSecretObject } from '../../src/registration/objects.js';
import { parseDuration } from '../../src/util/duration.js';
import { accessVerdict, intendedAccess } from '../../src/registration/credentials.js';
import { writeBatch } from '../../src/registration/register.js';
import { crdObject, FakeCluster } from '../fakes/fake-cluster.js';

describe('registration objects', () => {
  it('sanitises EKS and GKE context names into valid, distinct Kubernetes names', () => {
    expect(clientConfigName('dp1')).toBe('dp1');
    const eks = clientConfigName('arn:aws:eks:us-east-1:123456789012:cluster/prod');
    expect(eks).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(eks.length).toBeLessThanOrEqual(63);
    expect(clientConfigName('gke_proj_us-central1_c1')).toMatch(/^gke-proj-us-central1-c1-[0-9a-f]{6}$/);
    expect(clientConfigName('a_b')).not.toBe(clientConfigName('a.b'));
    expect(clientConfigName('x'.repeat(100)).length).toBeLessThanOrEqual(63);
  });

  it('pairs each ClientConfig with the Secret it names, keeping the real context name', () => {
    const { secret, clientConfig } = registrationObjects('gke_p_z_n', 'ns1', 'KUBECONFIG');
    expect(clientConfig.spec.contextName).toBe('gke_p_z_n');
    expect(clientConfig.spec.kubeConfigSecret.name).toBe(secret.metadata.name);
    expect(Buffer.from(secret.data.kubeconfig, 'base64').toString()).toBe('KUBECONFIG');
    expect(secret.metadata.namespace).toBe('ns1');
  });

  it('renders a kubeconfig whose only context is named as the user context', () => {
    const k = parse(renderKubeconfig({ context: 'arn:x/y', server: 'https://h:6443', caData: 'Q0E=', token: 'tok', namespace: 'ns' }));
    expect(k['current-context']).toBe('arn:x/y');
    expect(k.contexts[0].name).toBe('arn:x/y');
    expect(k.clusters[0].cluster['certificate-authority-data']).toBe('Q0E=');
  });

  it('binds the control plane to the operator role, cluster-wide only in cluster-scoped mode', () => {
    const [, rb] = dataPlaneAccessObjects('ns', false);
    expect(rb).toMatchObject({ kind: 'RoleBinding', metadata: { namespace: 'ns' }, roleRef: { kind: 'Role', name: 'k8ssandra-operator' } });
    const [, crb] = dataPlaneAccessObjects('ns', true);
    expect(crb).toMatchObject({ kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole' } });
    expect(crb!.metadata.namespace).toBeUndefined();
  });

  it('reads token expiry and durations', () => {
    const jwt = ['x', Buffer.from(JSON.stringify({ exp: 2_000_000_000 })).toString('base64url'), 'sig'].join('.');
    expect(tokenExpiry(jwt)?.toISOString()).toBe('2033-05-18T03:33:20.000Z');
    expect(tokenExpiry('garbage')).toBeUndefined();
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('365d')).toBe(31_536_000);
    expect(parseDuration('ten')).toBeUndefined();
  });
});

describe('the registration batch', () => {
  it('stores every Secret before it writes any ClientConfig', async () => {
    // Secret writes answer slowly: a batch that started its ClientConfigs before every Secret was stored would show it.
    const fake = new FakeCluster({ name: 'cp', latency: (r) => (r.method === 'PATCH' && r.path.includes('/secrets/') ? 20 : 1) });
    fake.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }, crdObject('config.k8ssandra.io', 'ClientConfig', 'clientconfigs', ['v1beta1']));
    const objs = ['dp1', 'dp2', 'dp3'].map((c) => registrationObjects(c, 'ns', 'KUBECONFIG'));
    const [secrets, clientConfigs] = await writeBatch(fake.cluster(), objs, {});
    expect(secrets.map((s) => s.ref)).toEqual(['Secret/ns/dp1-kubeconfig', 'Secret/ns/dp2-kubeconfig', 'Secret/ns/dp3-kubeconfig']);
    expect(clientConfigs.map((c) => c.action)).toEqual(['created', 'created', 'created']);
    const writes = fake.log.filter((r) => r.method === 'PATCH');
    expect(writes).toHaveLength(6);
    const lastSecretEnd = Math.max(...writes.filter((w) => w.path.includes('/secrets/')).map((w) => w.end));
    const firstClientConfig = Math.min(...writes.filter((w) => w.path.includes('/clientconfigs/')).map((w) => w.start));
    expect(firstClientConfig).toBeGreaterThan(lastSecretEnd);
    expect(fake.list('config.k8ssandra.io/v1beta1', 'ClientConfig').map((c) => c.spec.kubeConfigSecret.name)).toEqual(['dp1-kubeconfig', 'dp2-kubeconfig', 'dp3-kubeconfig']);
  });
});

describe('the intended access of the control plane\'s account', () => {
  const answer = (namespace: string, scoped: boolean, grants: (what: string) => boolean) => {
    const probes = intendedAccess(namespace, scoped);
    return accessVerdict(probes, probes.map((p) => grants(p.what)));
  };
  const operatorRole = (what: string) => what.startsWith('manage CassandraDatacenters in ns');
  const clusterRole = (what: string) => what.startsWith('manage CassandraDatacenters') || what === 'read Secrets in kube-system';

  it('namespace scope: the Role in the namespace, nothing beyond it', () => {
    expect(answer('ns', false, operatorRole)).toEqual({ missing: [], excess: [], operatorAccess: true });
    expect(answer('ns', false, (w) => operatorRole(w) || w === 'read Secrets in kube-system').excess).toEqual(['read Secrets in kube-system']);
    expect(answer('ns', false, () => false)).toMatchObject({ missing: ['manage CassandraDatacenters in ns'], operatorAccess: false });
  });

  it('cluster scope: the ClusterRole everywhere (Secrets included), but no RBAC writes or wildcards', () => {
    expect(answer('ns', true, clusterRole)).toEqual({ missing: [], excess: [], operatorAccess: true });
    // Kept credentials need the operator's access in its own namespace; elsewhere is the verification's business.
    expect(answer('ns', true, operatorRole)).toMatchObject({ missing: ['manage CassandraDatacenters in other namespaces (default)'], operatorAccess: true });
    expect(answer('ns', true, (w) => w === 'manage CassandraDatacenters in other namespaces (default)').operatorAccess).toBe(false);
    expect(answer('ns', true, () => true).excess).toEqual(['create ClusterRoleBindings', 'do anything (cluster-admin)']);
    expect(answer('ns', false, () => true).excess).toEqual(['create ClusterRoleBindings', 'do anything (cluster-admin)', 'read Secrets in kube-system']);
  });
});
describe('token lifetimes', () => {
  const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
  const now = Date.UTC(2026, 10, 30, 12);
  const s = (ms: number) => Math.floor(ms / 1000);

  it('tells a bounded token (its granted lifetime) from a token Secret\'s, which does not expire and names its Secret', () => {
    expect(describeToken(jwt({ iat: s(now), exp: s(now) + 86400 }))).toEqual({ kind: 'token', expiresAt: new Date(now + 86400_000), lifetimeSeconds: 86400 });
    expect(describeToken(jwt({ sub: 'system:serviceaccount:ns:k8ssandra-control-plane', 'kubernetes.io/serviceaccount/secret.name': 'k8ssandra-control-plane-token-x' })))
      .toEqual({ kind: 'secret' });
    expect(tokenClaims(jwt({ 'kubernetes.io/serviceaccount/secret.name': 'k8ssandra-control-plane-token-x' })).secretName).toBe('k8ssandra-control-plane-token-x');
  });

  it('a cap is a grant shorter than asked (EKS: 24h for 365d); rounding is not', () => {
    expect(lifetimeCapped(365 * 86400, 86400)).toBe(true);
    expect(lifetimeCapped(365 * 86400, 365 * 86400 - 5)).toBe(false);
    expect(lifetimeCapped(3600, 3600)).toBe(false);
  });

  it('a token is renewed once less than a third of its granted lifetime is left, so re-runs in between never churn', () => {
    const day = jwt({ iat: s(now), exp: s(now) + 86400 });
    expect(renewalDue(day, now + 15 * 3600_000, 365 * 86400)).toBe(false); // 9h of 24h left: kept, although 365d were asked
    expect(renewalDue(day, now + 17 * 3600_000, 365 * 86400)).toBe(true); // 7h left: under a third
    expect(renewalDue(jwt({ sub: 'x' }), now + 1e12, 3600)).toBe(false); // a token Secret's: never
  });

  it('says lifetimes as people read them', () => {
    expect([humanDuration(86400), humanDuration(172800), humanDuration(16 * 3600), humanDuration(600), humanDuration(365 * 86400)]).toEqual(['1d', '2d', '16h', '10m', '365d']);
  });

  it('a token Secret for the control plane is typed, annotated with its account, and labelled ours', () => {
    const o = tokenSecretObject('k8ssandra-operator', 'k8ssandra-control-plane-token-abc');
    expect(o).toMatchObject({ type: 'kubernetes.io/service-account-token', metadata: { namespace: 'k8ssandra-operator',
      annotations: { 'kubernetes.io/service-account.name': 'k8ssandra-control-plane' }, labels: { 'app.kubernetes.io/managed-by': 'k8ssandra-cli' } } });
  });
});
