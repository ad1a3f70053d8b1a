import { describe, expect, it } from 'vitest';
import { renderKubeconfig, tokenClaims } from '../../src/registration/objects.js';
import { renderReport } from '../../src/report/render.js';
import { storedContext } from '../../src/registration/credentials.js';
import { imageTag } from '../../src/kube/images.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../../src/report/model.js';
import type { ClientConfigFacts, ContextFacts, DatacenterFacts, K8ssandraClusterFacts, StatusFacts } from '../../src/status/facts.js';
import { userContextOf } from '../../src/status/findings.js';
import { evaluateStatus } from '../../src/status/report.js';
import { styler } from '../../src/ui/style.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
const NS = 'k8ssandra-operator';
const iso = (ms: number) => new Date(ms).toISOString();

const op = (mode: 'control-plane' | 'data-plane', over: Partial<ContextFacts['operators'][number]> = {}) =>
  ({ namespace: NS, mode, version: 'v1.32.5', available: true, replicas: { desired: 1, available: 1 }, ...over });
const cass = (over = {}) => ({ namespace: NS, version: 'v1.30.2', available: true, replicas: { desired: 1, available: 1 }, ...over });
const dc = (name: string, over: Partial<DatacenterFacts> = {}): DatacenterFacts =>
  ({ namespace: 'db', name, size: 3, progress: 'Ready', readyCondition: true, readyNodes: 3, ...over });
const cc = (ctx: string, over: Partial<ClientConfigFacts> = {}): ClientConfigFacts => ({
  controlPlane: 'cp', namespace: NS, name: ctx, contextName: ctx, secretName: `${ctx}-kubeconfig`, server: `https://${ctx}:6443`,
  serviceAccount: `${NS}/k8ssandra-control-plane`, tokenIssuedAt: iso(NOW - 10 * DAY), tokenExpiresAt: iso(NOW + 355 * DAY),
  credentials: 'ok', requests: 1, ...over,
});
const kc = (dcs: [string, string][], over: Partial<K8ssandraClusterFacts> = {}): K8ssandraClusterFacts =>
  ({ controlPlane: 'cp', namespace: 'db', name: 'demo', datacenters: dcs.map(([name, k8sContext]) => ({ name, k8sContext, size: 3 })), ...over });

function ctx(context: string, over: Partial<ContextFacts> = {}): ContextFacts {
  return { context, server: `https://${context}:6443`, reachable: true, kubernetesVersion: 'v1.34.4',
    operators: [op(context === 'cp' ? 'control-plane' : 'data-plane')], cassOperators: [cass()], certManager: true,
    datacenters: [], readProblems: [], requests: 8, elapsedMs: 50, ...over };
}

/** cp (control plane) with ClientConfigs for dp1 and dp2, and a K8ssandraCluster with dc1 in dp1 and dc2 in dp2. */
function healthy(): StatusFacts {
  return {
    explicit: false, skipped: [], now: NOW,
    contexts: [
      ctx('cp', { controlPlane: { namespace: NS, clientConfigs: [cc('dp1'), cc('dp2')], k8ssandraClusters: [kc([['dc1', 'dp1'], ['dc2', 'dp2']])] } }),
      ctx('dp1', { datacenters: [dc('dc1')] }),
      ctx('dp2', { datacenters: [dc('dc2')] }),
    ],
  };
}
const with_ = (f: StatusFacts, context: string, over: Partial<ContextFacts>): StatusFacts =>
  ({ ...f, contexts: f.contexts.map((c) => (c.context === context ? { ...c, ...over } : c)) });
const withClientConfig = (f: StatusFacts, name: string, over: Partial<ClientConfigFacts>): StatusFacts => {
  const cp = f.contexts[0]!.controlPlane!;
  return with_(f, 'cp', { controlPlane: { ...cp, clientConfigs: cp.clientConfigs.map((c) => (c.name === name ? { ...c, ...over } : c)) } });
};
const fails = (v: ReturnType<typeof evaluateStatus>) => v.checks.filter((c) => c.status === 'fail');
const byId = (v: ReturnType<typeof evaluateStatus>, id: string) => v.checks.filter((c) => c.id === id);

describe('status verdicts', () => {
  it('reports a healthy installation as healthy, with the K8ssandraCluster tree and the request total', () => {
    const v = evaluateStatus(healthy());
    expect(fails(v)).toEqual([]);
    expect(v.checks.filter((c) => c.status === 'warn')).toEqual([]);
    expect(v).toMatchObject({ ok: true, requests: 8 * 3 + 2 });
    expect(v.failExit).toBeUndefined();
    expect(v.clusters.map((c) => [c.context, c.role, c.ready, c.operatorVersion, c.cassOperatorVersion])).toEqual([
      ['cp', 'control-plane', true, 'v1.32.5', 'v1.30.2'], ['dp1', 'data-plane', true, 'v1.32.5', 'v1.30.2'], ['dp2', 'data-plane', true, 'v1.32.5', 'v1.30.2']]);
    expect(v.k8ssandraClusters).toEqual([{ name: 'demo', namespace: 'db', controlPlane: 'cp', ready: true, datacenters: [
      { name: 'dc1', k8sContext: 'dp1', context: 'dp1', size: 3, readyNodes: 3, progress: 'Ready', ready: true },
      { name: 'dc2', k8sContext: 'dp2', context: 'dp2', size: 3, readyNodes: 3, progress: 'Ready', ready: true }] }]);
    expect(v.registrations.map((r) => [r.clientConfig, r.userContext, r.verified, r.used])).toEqual([['dp1', 'dp1', true, true], ['dp2', 'dp2', true, true]]);
    expect(v.summary).toBe('healthy: 3 cluster(s), 1 K8ssandraCluster(s), 2/2 datacenter(s) ready');
  });

  it('says why an operator Deployment is not available when Kubernetes says (Unschedulable), with that reason\'s hint', () => {
    const why = { kind: 'Unschedulable' as const, certain: false, hint: 'no node takes the pod: remove the taint or give the pods a toleration',
      message: 'pod k8ssandra-operator-5d8f-q7w2z Unschedulable: 0/1 nodes are available: 1 node(s) had untolerated taint {k8ssandra.io/e2e: yes}.' };
    const f = with_(healthy(), 'dp2', { operators: [op('data-plane', { available: false, replicas: { desired: 1, available: 0 } })],
      cassOperators: [cass({ name: 'cass-operator-controller-manager', available: false, replicas: { desired: 1, available: 0 } })],
      whyNotAvailable: { [`${NS}/k8ssandra-operator`]: why } });
    const [c] = fails(evaluateStatus(f));
    expect(c).toMatchObject({ id: 'STATUS-OPERATOR-NOT-READY', context: 'dp2', hint: why.hint });
    expect(c!.message).toBe(`dp2: k8ssandra-operator in ${NS} is not available (0/1 replicas): ${why.message}; cass-operator in ${NS} is not available (0/1 replicas)`);
  });

  it('names an operator scaled to 0 and a datacenter that is not ready: degraded, exit notReady', () => {
    let f = with_(healthy(), 'dp1', { operators: [op('data-plane', { available: true, replicas: { desired: 0, available: 0 } })] });
    f = with_(f, 'dp2', { datacenters: [dc('dc2', { progress: 'Updating', readyCondition: false, readyNodes: 1 })] });
    const v = evaluateStatus(f);
    expect(v).toMatchObject({ ok: false, failExit: 'notReady' });
    expect(fails(v).map((c) => [c.id, c.context])).toEqual([['STATUS-OPERATOR-NOT-READY', 'dp1'], ['STATUS-DC-NOT-READY', 'dp2']]);
    expect(fails(v)[0]!.message).toBe('dp1: k8ssandra-operator in k8ssandra-operator is scaled to 0 replicas');
    expect(fails(v)[0]!.hint).toMatch(/k8ssandra install --contexts cp,dp1,dp2/);
    expect(fails(v)[1]!.message).toBe('db/demo dc dc2 in dp2: Updating, condition Ready not True, 1/3 nodes ready');
    expect(v.clusters.find((c) => c.context === 'dp1')).toMatchObject({ ready: false, operatorReady: false, cassOperatorReady: true });
    expect(v.k8ssandraClusters[0]!.datacenters[1]).toMatchObject({ progress: 'Updating', readyNodes: 1, ready: false });
  });

  it('a registered data plane that does not answer: one finding, exit unreachable, the others still reported', () => {
    let f = with_(healthy(), 'dp2', { reachable: false, unreachableReason: 'no answer within 5000 ms', operators: [], cassOperators: [], datacenters: undefined, kubernetesVersion: undefined });
    f = withClientConfig(f, 'dp2', { credentials: 'unreachable', problem: 'cannot reach https://dp2:6443: no answer within 5000 ms' });
    const v = evaluateStatus(f);
    expect(v).toMatchObject({ ok: false, failExit: 'unreachable' });
    expect(fails(v).map((c) => [c.id, c.context])).toEqual([['STATUS-DATA-PLANE-UNREACHABLE', 'dp2']]);
    expect(fails(v)[0]!.message).toBe('data plane dp2 (ClientConfig dp2 in cp) does not answer: no answer within 5000 ms');
    expect(v.clusters.map((c) => [c.context, c.role, c.reachable, c.ready])).toEqual([
      ['cp', 'control-plane', true, true], ['dp1', 'data-plane', true, true], ['dp2', 'data-plane', false, false]]);
    expect(v.k8ssandraClusters[0]!.datacenters.map((d) => [d.name, d.progress, d.ready])).toEqual([['dc1', 'Ready', true], ['dc2', 'Unknown', false]]);
    expect(byId(v, 'STATUS-DC-NOT-READY').find((c) => c.context === 'dp2')?.status).toBe('warn');
  });

  it('a ClientConfig whose token is rejected fails with a hint to mint a new one', () => {
    const v = evaluateStatus(withClientConfig(healthy(), 'dp2', { credentials: 'rejected', problem: 'the token was rejected (401 Unauthorized)' }));
    expect(v).toMatchObject({ ok: false, failExit: 'notReady' });
    const [f] = fails(v);
    expect(f).toMatchObject({ id: 'STATUS-CLIENTCONFIG-AUTH', context: 'dp2', message: 'ClientConfig dp2: the token was rejected (401 Unauthorized)' });
    expect(f!.hint).toMatch(/mint a new one with k8ssandra install --contexts cp,dp1,dp2/);
    expect(v.registrations.find((r) => r.clientConfig === 'dp2')).toMatchObject({ verified: false, problem: 'the token was rejected (401 Unauthorized)' });
  });

  it('a broken Secret fails; a ClientConfig checked only from here warns', () => {
    let f = withClientConfig(healthy(), 'dp1', { credentials: 'invalid', problem: 'its Secret dp1-kubeconfig does not exist', tokenExpiresAt: undefined, server: undefined });
    f = withClientConfig(f, 'dp2', { credentials: 'unreachable', problem: 'connection refused' });
    const v = evaluateStatus(f);
    expect(byId(v, 'STATUS-CLIENTCONFIG-AUTH').map((c) => [c.context, c.status])).toEqual([['dp1', 'fail'], ['dp2', 'warn']]);
    expect(fails(v)[0]!.hint).toMatch(/operator cannot start/);
  });

  it('warns about tokens near the end of their lifetime and fails expired ones', () => {
    let f = withClientConfig(healthy(), 'dp1', { tokenIssuedAt: iso(NOW - 300 * DAY), tokenExpiresAt: iso(NOW + 20 * DAY) });
    f = withClientConfig(f, 'dp2', { tokenIssuedAt: iso(NOW - 2 * DAY), tokenExpiresAt: iso(NOW - DAY) });
    const v = evaluateStatus(f);
    const t = byId(v, 'STATUS-TOKEN-EXPIRING');
    expect(t.map((c) => [c.context, c.status])).toEqual([['dp1', 'warn'], ['dp2', 'fail']]);
    expect(t[0]!.message).toBe('ClientConfig dp1: the token expires on 2026-01-21, in 20 days');
    expect(t[1]!.message).toBe('ClientConfig dp2: the token expired on 2025-12-31');
    // a long-lived token with 20 days of 365 left is fine
    const ok = evaluateStatus(withClientConfig(healthy(), 'dp1', { tokenIssuedAt: iso(NOW - 10 * DAY), tokenExpiresAt: iso(NOW + 200 * DAY) }));
    expect(byId(ok, 'STATUS-TOKEN-EXPIRING').every((c) => c.status === 'pass')).toBe(true);
  });

  it('warns about a ClientConfig no datacenter uses, only once a K8ssandraCluster exists', () => {
    const cp = healthy().contexts[0]!.controlPlane!;
    const oneDc = with_(healthy(), 'cp', { controlPlane: { ...cp, k8ssandraClusters: [kc([['dc1', 'dp1']])] } });
    const v = evaluateStatus(oneDc);
    expect(v.ok).toBe(true);
    expect(byId(v, 'STATUS-CLIENTCONFIG-UNUSED').filter((c) => c.status === 'warn').map((c) => c.context)).toEqual(['dp2']);
    const none = evaluateStatus(with_(healthy(), 'cp', { controlPlane: { ...cp, k8ssandraClusters: [] } }));
    expect(none.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    // dc2 left the spec but the operator is still taking it out of dp2: dp2's ClientConfig is still in use.
    const leaving = evaluateStatus(with_(healthy(), 'cp', { controlPlane: { ...cp, k8ssandraClusters: [{ ...kc([['dc1', 'dp1']]),
      decommissions: [{ name: 'dc2', context: 'dp2', progress: 'Decommissioning', refusedFor: [] }] }] } }));
    expect(byId(leaving, 'STATUS-CLIENTCONFIG-UNUSED').filter((c) => c.status === 'warn')).toEqual([]);
  });

  it('fails version skew between clusters', () => {
    const v = evaluateStatus(with_(healthy(), 'dp2', { operators: [op('data-plane', { version: 'v1.31.0' })] }));
    const [f] = fails(v);
    expect(f).toMatchObject({ id: 'STATUS-VERSION-SKEW', message: 'k8ssandra-operator versions differ between clusters: cp, dp1 v1.32.5; dp2 v1.31.0' });
  });

  it('fails without a control plane and with two; an unanswered context may be the missing control plane', () => {
    const noCp = evaluateStatus({ ...healthy(), contexts: healthy().contexts.slice(1) });
    expect(fails(noCp).map((c) => c.id)).toContain('STATUS-NO-CONTROL-PLANE');
    expect(noCp.failExit).toBe('notReady');
    const cpDown = evaluateStatus(with_(healthy(), 'cp', { reachable: false, unreachableReason: 'connection refused', operators: [], cassOperators: [], controlPlane: undefined }));
    expect(fails(cpDown).map((c) => [c.id, c.context])).toEqual([['K8S-REACHABLE', 'cp'], ['STATUS-NO-CONTROL-PLANE', undefined]]);
    expect(fails(cpDown)[1]!.message).toMatch(/cp did not answer and may run it/);
    expect(cpDown.failExit).toBe('unreachable');
    const two = evaluateStatus(with_(healthy(), 'dp1', { operators: [op('control-plane')] }));
    expect(fails(two)[0]).toMatchObject({ id: 'STATUS-TWO-CONTROL-PLANES', message: 'cp and dp1 both run the operator as the control plane' });
  });

  it('during discovery, a context that does not answer and is not registered is a warning, not a failure', () => {
    const f = healthy();
    f.contexts.push(ctx('old-lab', { reachable: false, unreachableReason: 'connection refused', operators: [], cassOperators: [] }));
    f.contexts.push(ctx('unrelated', { operators: [], cassOperators: [] }));
    f.skipped.push({ context: 'broken', reason: 'context broken: client-key file /x does not exist' });
    const v = evaluateStatus(f);
    expect(v.ok).toBe(true);
    expect(v.clusters.map((c) => c.context)).toEqual(['cp', 'dp1', 'dp2']);
    expect(byId(v, 'K8S-REACHABLE').filter((c) => c.status === 'warn').map((c) => c.context)).toEqual(['broken', 'old-lab']);
    // named with --contexts, the same context is part of the installation and fails
    const named = evaluateStatus({ ...f, explicit: true, skipped: [] });
    expect(named.failExit).toBe('unreachable');
    expect(fails(named).map((c) => [c.id, c.context])).toEqual([['K8S-REACHABLE', 'old-lab'], ['STATUS-OPERATOR-NOT-READY', 'unrelated']]);
  });

  it('a datacenter not created yet, in an unregistered context, or in the control plane itself', () => {
    const cp = healthy().contexts[0]!.controlPlane!;
    const f = with_(healthy(), 'cp', { datacenters: [dc('dc0')],
      controlPlane: { ...cp, k8ssandraClusters: [kc([['dc0', ''], ['dc1', 'dp1'], ['dc2', 'dp2'], ['dc9', 'dp9']])] } });
    const v = evaluateStatus(with_(f, 'dp2', { datacenters: [] }));
    const dcs = v.k8ssandraClusters[0]!.datacenters;
    expect(dcs.map((d) => [d.name, d.context, d.progress, d.ready])).toEqual([
      ['dc0', 'cp', 'Ready', true], ['dc1', 'dp1', 'Ready', true], ['dc2', 'dp2', 'NotCreated', false], ['dc9', undefined, 'Unknown', false]]);
    expect(fails(v).map((c) => c.message)).toEqual([
      'db/demo dc dc2: no CassandraDatacenter dc2 in dp2 yet',
      'db/demo dc dc9: no ClientConfig registers context dp9, so the control plane cannot create the datacenter']);
    expect(fails(v)[1]!.hint).toBe('register it: k8ssandra install --contexts cp,dp1,dp2,dp9');
  });

  it('a data plane that no ClientConfig registers fails (degraded) with a hint to register it', () => {
    const cp = healthy().contexts[0]!.controlPlane!;
    const f = with_(healthy(), 'cp', { controlPlane: { ...cp, clientConfigs: [cc('dp1')], k8ssandraClusters: [] } });
    const v = evaluateStatus(f);
    expect(v).toMatchObject({ ok: false, failExit: 'notReady' });
    expect(fails(v).map((c) => [c.id, c.context])).toEqual([['STATUS-DATA-PLANE-UNREGISTERED', 'dp2']]);
    expect(fails(v)[0]!.message).toBe('dp2 runs the operator as a data plane, but no ClientConfig in cp registers it: the control plane cannot create or manage datacenters there');
    expect(fails(v)[0]!.hint).toBe('register it: k8ssandra register --contexts cp,dp2');
    expect(byId(v, 'STATUS-DATA-PLANE-UNREGISTERED').map((c) => [c.context, c.status])).toEqual([['dp1', 'pass'], ['dp2', 'fail']]);
    // The control plane itself is never asked to be registered; a healthy installation passes for each data plane.
    expect(byId(evaluateStatus(healthy()), 'STATUS-DATA-PLANE-UNREGISTERED').map((c) => [c.context, c.status])).toEqual([['dp1', 'pass'], ['dp2', 'pass']]);
  });

  it('a data plane registered under another context name is matched by its API server address, and not checked when ClientConfigs are unreadable', () => {
    const cp = healthy().contexts[0]!.controlPlane!;
    // The user calls the cluster "prod-east"; the control plane knows it as "dp2" (same API server).
    let f = with_(healthy(), 'dp2', { context: 'prod-east', server: 'https://dp2:6443/' });
    f = with_(f, 'cp', { controlPlane: { ...cp, k8ssandraClusters: [] } });
    expect(byId(evaluateStatus(f), 'STATUS-DATA-PLANE-UNREGISTERED').map((c) => [c.context, c.status, c.message]))
      .toEqual([['dp1', 'pass', 'dp1: registered with cp (ClientConfig dp1)'], ['prod-east', 'pass', 'prod-east: registered with cp (ClientConfig dp2)']]);
    // Another name and another server: not registered.
    const other = with_(f, 'prod-east', { server: 'https://10.9.9.9:6443' });
    expect(fails(evaluateStatus(other)).map((c) => [c.id, c.context])).toEqual([['STATUS-DATA-PLANE-UNREGISTERED', 'prod-east']]);
    // The ClientConfigs could not be listed: unknown, a warning, never a false failure.
    const unread = with_(healthy(), 'cp', { readProblems: ['cannot read ClientConfigs: forbidden'], controlPlane: { ...cp, clientConfigs: [], clientConfigsUnread: true, k8ssandraClusters: [] } });
    const u = evaluateStatus(unread);
    expect(fails(u)).toEqual([]);
    expect(byId(u, 'STATUS-DATA-PLANE-UNREGISTERED').map((c) => c.status)).toEqual(['warn', 'warn']);
  });

  it('maps a ClientConfig to the user context by name, else by server address', () => {
    const contexts = [ctx('prod-east', { server: 'https://10.0.0.5:6443/' }), ctx('dp1')];
    expect(userContextOf(cc('dp1'), contexts)?.context).toBe('dp1');
    expect(userContextOf(cc('east', { server: 'https://10.0.0.5:6443' }), contexts)?.context).toBe('prod-east');
    expect(userContextOf(cc('west'), contexts)).toBeUndefined();
  });
});

describe('status text', () => {
  it('shows the cluster table, the ClientConfigs and a tree per K8ssandraCluster', () => {
    const f = with_(healthy(), 'dp2', { reachable: false, unreachableReason: 'connection refused', operators: [], cassOperators: [], datacenters: undefined });
    const v = evaluateStatus(withClientConfig(f, 'dp2', { credentials: 'unreachable', problem: 'connection refused' }));
    const report: Report = { schemaVersion: REPORT_SCHEMA_VERSION, command: 'status', ok: v.ok, exitCode: 6, dryRun: false, clusters: v.clusters,
      registrations: v.registrations, checks: v.checks, summary: v.summary, elapsedMs: 1200, k8ssandraClusters: v.k8ssandraClusters, requests: v.requests };
    const text = renderReport(report, 'text', styler(false));
    expect(text).toMatch(/^CONTEXT\s+ROLE\s+KUBERNETES\s+OPERATOR\s+CASS-OPERATOR\s+CERT-MANAGER\s+READY/);
    expect(text).toMatch(/\ndp2\s+data-plane\s+unreachable/);
    expect(text).toContain('ClientConfigs (in cp, namespace k8ssandra-operator):');
    expect(text).toMatch(/dp2 -> dp2\s+credentials NOT verified: connection refused/);
    expect(text).toContain('  db/demo (control plane cp): not ready\n    ├─ dc1  dp1  Ready    3/3 nodes ready\n    └─ dc2  dp2  Unknown  size 3');
    expect(text).toContain('FAIL [STATUS-DATA-PLANE-UNREACHABLE] dp2: data plane dp2 (ClientConfig dp2 in cp) does not answer: connection refused');
    expect(text).toMatch(/\(1\.2s, 26 API requests\)\n$/);
    // Each failure once: in Checks with its message; the summary names it.
    expect(text.match(/does not answer: connection refused/g)).toHaveLength(1);
    expect(text).toContain('! 1 problem(s) (STATUS-DATA-PLANE-UNREACHABLE dp2); 3 cluster(s)');
  });
});

describe('stored credentials (a ClientConfig\'s Secret)', () => {
  const kubeconfig = (user: Record<string, unknown>) => renderKubeconfig({ context: 'dp1', server: 'https://10.0.0.5:6443', token: 'x', namespace: NS })
    .replace(/user:\n {6}token: x\n/, `user: ${JSON.stringify(user)}\n`);

  it('resolves the context the ClientConfig names, as the operator does', () => {
    const ctx = storedContext(kubeconfig({ token: 'abc' }), 'dp1', 'Secret dp1-kubeconfig');
    expect(ctx).toMatchObject({ name: 'dp1', server: 'https://10.0.0.5:6443', namespace: NS });
    expect(() => storedContext(kubeconfig({ token: 'abc' }), 'dp2', 'Secret dp1-kubeconfig')).toThrow(/context "dp2" not found in kubeconfig/);
  });

  it('never runs a credential plugin found in a Secret', () => {
    expect(() => storedContext(kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'touch /tmp/pwned'] } }), 'dp1', 'Secret s'))
      .toThrow('Secret s: context dp1 uses an exec credential plugin, which is not run from a Secret');
  });

  it('reads a token\'s issue and expiry times and its service account, without verifying it', () => {
    const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    expect(tokenClaims(jwt({ iat: 1_700_000_000, exp: 1_731_536_000, sub: 'system:serviceaccount:ns:sa' }))).toEqual({
      issuedAt: new Date(1_700_000_000_000), expiresAt: new Date(1_731_536_000_000), subject: 'system:serviceaccount:ns:sa' });
    expect(tokenClaims('not-a-jwt')).toEqual({});
  });
});

describe('operator versions from images', () => {
  it('reads the tag, not a registry port or a digest', () => {
    const d = (image: string) => ({ spec: { template: { spec: { containers: [{ image }] } } } });
    expect(imageTag(d('docker.io/k8ssandra/cass-operator:v1.30.2'))).toBe('v1.30.2');
    expect(imageTag(d('registry.local:5000/k8ssandra/k8ssandra-operator'))).toBeUndefined();
    expect(imageTag(d('registry.local:5000/k8ssandra/k8ssandra-operator:v1.32.5@sha256:abc'))).toBe('v1.32.5');
  });
});

describe('status while the control plane moves', () => {
  const record = { tool: 't', role: 'data-plane' as const, clusterScoped: false, operatorVersion: 'v1.32.5', operatorSource: 'official', movingFrom: 'cp', movingTo: 'dp1' };
  const moving = (f: StatusFacts) => with_(with_(f, 'cp', { installRecord: { ...record, role: 'control-plane' } }), 'dp1', { installRecord: record });

  it('before the switches: cp still the control plane, the move reported as half-moved, no failure for it', () => {
    const v = evaluateStatus(moving(healthy()));
    expect(byId(v, 'STATUS-NO-CONTROL-PLANE')[0]).toMatchObject({ status: 'pass' });
    expect(byId(v, 'STATUS-CONTROL-PLANE-MOVE')).toEqual([expect.objectContaining({ status: 'warn',
      message: 'the control plane is moving from cp to dp1, half-moved: cp still runs the control plane; copies may be in dp1 (cp: control-plane, dp1: data-plane)',
      hint: 'if no move is running, finish it: k8ssandra move-control-plane --from cp --to dp1' })]);
    expect(fails(v)).toEqual([]);
  });

  it('between the switches: no control plane is a warning while a move is recorded, a failure otherwise', () => {
    const between = with_(healthy(), 'cp', { operators: [op('data-plane')], controlPlane: undefined });
    expect(byId(evaluateStatus(between), 'STATUS-NO-CONTROL-PLANE')[0]!.status).toBe('fail');
    const v = evaluateStatus(moving(between));
    expect(byId(v, 'STATUS-NO-CONTROL-PLANE')[0]).toMatchObject({ status: 'warn', message: 'no cluster runs the control plane while it moves from cp to dp1' });
    expect(byId(v, 'STATUS-CONTROL-PLANE-MOVE')[0]!.message).toMatch(/between the switches/);
    expect(fails(v)).toEqual([]);
  });

  it('no move finding without a record that says so', () => {
    expect(byId(evaluateStatus(healthy()), 'STATUS-CONTROL-PLANE-MOVE')).toEqual([]);
  });
});
