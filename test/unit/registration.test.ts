import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clientConfigName, dataPlaneAccessObjects, registrationObjects, renderKubeconfig, tokenExpiry } from '../../src/plan/registration.js';
import { parseDuration } from '../../src/util/duration.js';

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

  it('writes the Secret before the ClientConfig that names it, keeping the real context name', () => {
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
