import { describe, expect, it } from 'vitest';
import { evaluatePreflight } from '../../src/checks/preflight.js';
import { type ClusterFacts } from '../../src/checks/preflight-facts.js';
import { cidrsOverlap } from '../../src/util/cidr.js';

const facts = (context: string, over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  context, server: `https://${context}:6443`, reachable: true, version: 'v1.34.4', clusterId: `uid-${context}`, denied: [], certManager: true, operators: [],
  podCidrs: [], nodesWithoutCidr: 0, ...over,
});
const plan = { controlPlane: 'cp', namespace: 'k8ssandra-operator', operatorVersion: 'v1.32.5', installCertManager: true };
const byId = (checks: ReturnType<typeof evaluatePreflight>, id: string) => checks.filter((c) => c.id === id);

describe('preflight verdicts', () => {
  it('passes healthy, distinct clusters', () => {
    const checks = evaluatePreflight([facts('cp', { podCidrs: ['10.1.0.0/16'] }), facts('dp1', { podCidrs: ['10.2.0.0/16'] })], plan);
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('catches the same cluster under two contexts', () => {
    const checks = evaluatePreflight([facts('cp'), facts('dp1', { clusterId: 'uid-cp' })], plan);
    expect(byId(checks, 'K8S-SAME-CLUSTER')[0]).toMatchObject({ status: 'fail', message: 'contexts cp and dp1 point at the same cluster' });
  });

  it('refuses a second control plane and a data plane where the control plane runs', () => {
    const checks = evaluatePreflight([facts('cp'), facts('dp1', { operators: [{ namespace: 'k8ssandra-operator', mode: 'control-plane', version: 'v1.32.5' }] })], plan);
    const [c] = byId(checks, 'OPERATOR-EXISTING').filter((c) => c.status === 'fail');
    expect(c!.message).toMatch(/dp1 already runs the operator as control-plane/);
    expect(c!.hint).toMatch(/second control plane is refused/);
  });

  it('names an operator that Helm installed, and takes it over only with --force', () => {
    const helm = { namespace: 'k8ssandra-operator', mode: 'data-plane' as const, version: 'v1.32.5',
      installedBy: { by: 'helm' as const, release: 'k8ssandra-operator', namespace: 'k8ssandra-operator' } };
    const [c] = byId(evaluatePreflight([facts('cp'), facts('dp1', { operators: [helm] })], plan), 'OPERATOR-OWNER');
    expect(c).toMatchObject({ status: 'fail', message: 'dp1: the operator in k8ssandra-operator was installed by Helm release k8ssandra-operator in namespace k8ssandra-operator' });
    expect(c!.hint).toMatch(/helm upgrade k8ssandra-operator -n k8ssandra-operator/);
    expect(byId(evaluatePreflight([facts('cp'), facts('dp1', { operators: [helm] })], { ...plan, allowVersionChange: true }), 'OPERATOR-OWNER')[0]!.status).toBe('warn');
    const ours = { ...helm, installedBy: { by: 'k8ssandra' as const } };
    expect(byId(evaluatePreflight([facts('cp'), facts('dp1', { operators: [ours] })], plan), 'OPERATOR-OWNER')).toEqual([]);
  });

  it('reports unreachable clusters, old versions, missing permissions and overlapping pod CIDRs', () => {
    const checks = evaluatePreflight([
      facts('cp', { podCidrs: ['10.0.0.0/16'] }),
      facts('dp1', { reachable: false, unreachableReason: 'connection refused' }),
      facts('dp2', { version: 'v1.22.0', denied: ['create customresourcedefinitions'], podCidrs: ['10.0.128.0/24'] }),
    ], plan);
    expect(byId(checks, 'K8S-REACHABLE').find((c) => c.context === 'dp1')?.status).toBe('fail');
    expect(byId(checks, 'K8S-VERSION').find((c) => c.context === 'dp2')?.status).toBe('fail');
    expect(byId(checks, 'K8S-PERMISSIONS').find((c) => c.context === 'dp2')?.message).toMatch(/create customresourcedefinitions/);
    expect(byId(checks, 'POD-CIDR-OVERLAP').find((c) => c.status === 'fail')?.message).toBe('pod CIDRs overlap: cp 10.0.0.0/16 and dp2 10.0.128.0/24');
  });

  it('passes the tested versions 1.29 to 1.34, warns outside them, refuses older than 1.25', () => {
    const verdict = (version: string) => byId(evaluatePreflight([facts('cp', { version })], plan), 'K8S-VERSION')[0]!;
    expect(['v1.24.17', 'v1.25.0', 'v1.28.15', 'v1.29.0', 'v1.29.15', 'v1.34.4', 'v1.35.0'].map((v) => [v, verdict(v).status])).toEqual([
      ['v1.24.17', 'fail'], ['v1.25.0', 'warn'], ['v1.28.15', 'warn'], ['v1.29.0', 'pass'], ['v1.29.15', 'pass'], ['v1.34.4', 'pass'], ['v1.35.0', 'warn']]);
    expect(verdict('v1.28.15').message).toBe('cp runs Kubernetes v1.28.15, older than the oldest tested (1.29)');
    expect(verdict('v1.35.0').message).toBe('cp runs Kubernetes v1.35.0, newer than the newest tested (1.34)');
  });

  it('compares CIDRs of both families', () => {
    expect(cidrsOverlap('10.0.0.0/8', '10.200.0.0/16')).toBe(true);
    expect(cidrsOverlap('10.0.0.0/16', '10.1.0.0/16')).toBe(false);
    expect(cidrsOverlap('fd00::/64', 'fd00::1:0/112')).toBe(true);
    expect(cidrsOverlap('fd00::/64', '10.0.0.0/8')).toBe(false);
  });
});

describe('cert-manager that k8ssandra installed', () => {
  it('is applied again (a killed install converges), unless --skip-cert-manager', () => {
    const f = facts('cp', { certManager: false, certManagerOurs: true });
    const plan = { controlPlane: 'cp', namespace: 'k8ssandra-operator', operatorVersion: 'v1.32.5', installCertManager: true };
    const cm = (p: typeof plan) => evaluatePreflight([f], p).find((c) => c.id === 'CERT-MANAGER')!;
    expect(cm(plan)).toMatchObject({ status: 'pass', message: expect.stringMatching(/installed by k8ssandra: applied again/) });
    expect(cm({ ...plan, installCertManager: false })).toMatchObject({ status: 'pass', message: 'cert-manager is installed' });
  });
});
