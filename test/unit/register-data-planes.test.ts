import { newTarget, type Target } from '../../src/run/target.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { KubeObject } from '../../src/model/object.js';
import { tokenClaims } from '../../src/registration/objects.js';
import { registerDataPlanes, type RegisterOptions } from '../../src/registration/register.js';
import { crdObject, FakeCluster } from '../fakes/fake-cluster.js';

const NS = 'k8ssandra-operator';
const opts = (over: Partial<RegisterOptions> = {}): RegisterOptions =>
  ({ namespace: NS, clusterScoped: false, dryRun: false, force: false, tokenTtlSeconds: 30 * 86_400, apiServers: {}, ...over });
const ref = (apiVersion: string, kind: string, name: string, namespace?: string) => ({ apiVersion, kind, name, namespace });
const SECRET = ref('v1', 'Secret', 'dp1-kubeconfig', NS);
const CLIENT_CONFIG = ref('config.k8ssandra.io/v1beta1', 'ClientConfig', 'dp1', NS);
const SA = ref('v1', 'ServiceAccount', 'k8ssandra-control-plane', NS);
const BINDING = ref('rbac.authorization.k8s.io/v1', 'RoleBinding', 'k8ssandra-control-plane', NS);

const operatorRole: KubeObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'k8ssandra-operator', namespace: NS },
  rules: [{ apiGroups: ['cassandra.datastax.com'], resources: ['cassandradatacenters'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }] };

const open: FakeCluster[] = [];
afterEach(async () => { await Promise.all(open.splice(0).map((f) => f.close())); });

/** A control plane with the ClientConfig CRD, and a data plane served on loopback (the stored credentials are tried over HTTP). */
async function clusters(withRole = true, maxTokenSeconds?: number) {
  const cp = new FakeCluster({ name: 'cp' });
  cp.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, crdObject('config.k8ssandra.io', 'ClientConfig', 'clientconfigs', ['v1beta1']));
  const dp = new FakeCluster({ name: 'dp1', maxTokenSeconds });
  open.push(dp);
  dp.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...(withRole ? [operatorRole] : []));
  await dp.serve();
  return { cp, dp };
}

const storedKubeconfig = (cp: FakeCluster) => parse(Buffer.from(cp.get(SECRET)!.data.kubeconfig, 'base64').toString()) as any;
const tokenRequests = (dp: FakeCluster) => dp.log.filter((r) => r.method === 'POST' && r.path.endsWith('/token')).length;

describe('registering a data plane (fake clusters)', () => {
  it('writes the service account and binding in the data plane, the Secret and ClientConfig in the control plane, verified', async () => {
    const { cp, dp } = await clusters();
    const r = await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'), [newTarget(dp.cluster(), 'data-plane')], opts(), () => {});
    expect(r.registrations).toEqual([expect.objectContaining({ context: 'dp1', clientConfig: 'dp1', secret: 'dp1-kubeconfig', verified: true, action: 'created' })]);
    expect(r.checks.find((c) => c.id === 'REGISTRATION-VERIFIED')).toMatchObject({ status: 'pass' });
    expect(dp.get(SA)).toBeDefined();
    expect(dp.get(BINDING)).toMatchObject({ roleRef: { kind: 'Role', name: 'k8ssandra-operator' }, subjects: [{ kind: 'ServiceAccount', name: 'k8ssandra-control-plane', namespace: NS }] });
    expect(cp.get(CLIENT_CONFIG)!.spec).toEqual({ contextName: 'dp1', kubeConfigSecret: { name: 'dp1-kubeconfig' } });
    const k = storedKubeconfig(cp);
    expect(k.clusters[0].cluster.server).toBe(dp.cluster().ctx.server);
    const claims = tokenClaims(k.users[0].user.token);
    expect(claims.subject).toBe(`system:serviceaccount:${NS}:k8ssandra-control-plane`);
    expect(claims.expiresAt!.getTime() - claims.issuedAt!.getTime()).toBe(30 * 86_400_000);
    expect(r.registrations[0]!.tokenExpiresAt).toBe(claims.expiresAt!.toISOString());
    expect(tokenRequests(dp)).toBe(1);
  });

  it('a second run keeps the working token and changes nothing; --rotate mints a new one', async () => {
    const { cp, dp } = await clusters();
    await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'), [newTarget(dp.cluster(), 'data-plane')], opts(), () => {});
    const before = { secret: cp.get(SECRET)!.metadata.resourceVersion, cc: cp.get(CLIENT_CONFIG)!.metadata.resourceVersion, token: storedKubeconfig(cp).users[0].user.token };

    const logged = dp.log.length;
    const again = await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'), [newTarget(dp.cluster(), 'data-plane')], opts(), () => {});
    expect(again.registrations[0]).toMatchObject({ action: 'unchanged', verified: true });
    // The kept token is asked the intended access once: whether to keep it and its verification are the
    // same four questions.
    const asked = dp.log.slice(logged).filter((r) => r.user === `system:serviceaccount:${NS}:k8ssandra-control-plane`);
    expect(asked.map((r) => r.path)).toEqual(Array(4).fill('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'));
    expect([cp.get(SECRET)!.metadata.resourceVersion, cp.get(CLIENT_CONFIG)!.metadata.resourceVersion]).toEqual([before.secret, before.cc]);
    expect(tokenRequests(dp)).toBe(1);

    const rotated = await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'), [newTarget(dp.cluster(), 'data-plane')], opts({ rotate: true }), () => {});
    expect(rotated.registrations[0]).toMatchObject({ action: 'changed', verified: true });
    expect(tokenRequests(dp)).toBe(2);
    expect(storedKubeconfig(cp).users[0].user.token).not.toBe(before.token);
    expect(cp.get(CLIENT_CONFIG)!.metadata.resourceVersion).toBe(before.cc);
  });

  it('reports each data plane\'s checks in the order of the data planes, whichever is prepared first', async () => {
    const { cp, dp } = await clusters();
    const slow = new FakeCluster({ name: 'dp0', latency: () => 40 });
    open.push(slow);
    slow.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, operatorRole);
    await slow.serve();
    const r = await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'),
      [newTarget(slow.cluster(), 'data-plane'), newTarget(dp.cluster(), 'data-plane')], opts(), () => {});
    const contexts = r.checks.map((c) => c.context);
    expect(contexts).toEqual([...contexts].sort((a, b) => (a === b ? 0 : a === 'dp0' ? -1 : 1)));
    expect(contexts[0]).toBe('dp0');
    expect(r.registrations.map((g) => g.context)).toEqual(['dp0', 'dp1']);
  });

  it('keepServers (upgrade): a registration keeps its address when the kubeconfig reaches the data plane at another one', async () => {
    const { cp, dp } = await clusters();
    const targets = () => withTargets([newTarget(cp.cluster(), 'control-plane'), newTarget(dp.cluster(), 'data-plane')]);
    // Registered at another address of the same server (as --api-server or the routability probe give one).
    const registered = dp.cluster().ctx.server.replace('127.0.0.1', 'localhost');
    await registerDataPlanes(...targets(), opts({ apiServers: { dp1: registered } }), () => {});
    const rv = cp.get(SECRET)!.metadata.resourceVersion;

    const kept = await registerDataPlanes(...targets(), opts({ keepServers: true }), () => {});
    expect(kept.registrations[0]).toMatchObject({ action: 'unchanged', verified: true, server: registered });
    expect(kept.checks.find((c) => c.id === 'REGISTER-SERVER-ADDRESS')!.message).toContain(registered);
    expect(cp.get(SECRET)!.metadata.resourceVersion).toBe(rv);
    expect(tokenRequests(dp)).toBe(1);

    // Without it, the kubeconfig's address replaces the registered one (install and register do that on purpose).
    const moved = await registerDataPlanes(...targets(), opts(), () => {});
    expect(moved.registrations[0]).toMatchObject({ action: 'changed', server: dp.cluster().ctx.server });
    expect(storedKubeconfig(cp).clusters[0].cluster.server).toBe(dp.cluster().ctx.server);
  });

  it('credentials that lack the operator role are not stored, and what the run created in the data plane is removed', async () => {
    const { cp, dp } = await clusters(false);
    const notes: string[] = [];
    const r = await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'), [newTarget(dp.cluster(), 'data-plane')], opts(), (l) => notes.push(l));
    expect(r.registrations[0]).toMatchObject({ action: 'kept', verified: false });
    expect(r.checks.find((c) => c.id === 'REGISTRATION-VERIFIED')).toMatchObject({ status: 'fail', message: expect.stringMatching(/lack the operator role/) });
    expect(cp.get(SECRET)).toBeUndefined();
    expect(cp.get(CLIENT_CONFIG)).toBeUndefined();
    expect(dp.get(SA)).toBeUndefined();
    expect(dp.get(BINDING)).toBeUndefined();
    expect(notes.join('\n')).toMatch(/not registered/);
  });

  it('a data plane that caps tokens at 24h gets a token Secret that lasts; a re-run keeps it; --rotate replaces it and removes the old one', async () => {
    const { cp, dp } = await clusters(true, 86_400);
    const targets = () => [newTarget(cp.cluster(), 'control-plane'), newTarget(dp.cluster(), 'data-plane')] as const;
    const [cpT, dpT] = targets();
    const r = await registerDataPlanes(cpT, [dpT], opts({ tokenTtlSeconds: 365 * 86_400 }), () => {});
    expect(r.registrations[0]).toMatchObject({ credential: 'secret', verified: true, tokenLifetimeAskedSeconds: 365 * 86_400, tokenLifetimeGrantedSeconds: 86_400 });
    expect(r.checks.find((c) => c.id === 'TOKEN-LIFETIME')).toMatchObject({ status: 'warn', message: expect.stringMatching(/1d granted for the 365d asked/) });
    const tokenSecrets = () => dp.list('v1', 'Secret').filter((x) => x.metadata.namespace === NS).filter((s) => s.type === 'kubernetes.io/service-account-token').map((s) => s.metadata.name);
    const [first] = tokenSecrets();
    expect(tokenClaims(storedKubeconfig(cp).users[0].user.token)).toMatchObject({ expiresAt: undefined, secretName: first });
    expect(dpT.objects.map((o) => o.ref)).toContain(`Secret/${NS}/${first}`);

    const rv = cp.get(SECRET)!.metadata.resourceVersion;
    const again = await registerDataPlanes(...withTargets(targets()), opts({ tokenTtlSeconds: 365 * 86_400 }), () => {});
    expect(again.registrations[0]).toMatchObject({ action: 'unchanged', credential: 'secret' });
    expect(cp.get(SECRET)!.metadata.resourceVersion).toBe(rv);
    expect(tokenSecrets()).toEqual([first]);

    await new Promise((r) => setTimeout(r, 5)); // a new name: token Secret names carry the time
    const rotated = await registerDataPlanes(...withTargets(targets()), opts({ tokenTtlSeconds: 365 * 86_400, rotate: true }), () => {});
    expect(rotated.registrations[0]).toMatchObject({ action: 'changed', credential: 'secret', verified: true });
    const [second] = tokenSecrets();
    expect(second).not.toBe(first);
    expect(tokenSecrets()).toEqual([second]);
  });

  it('--bounded-tokens keeps the capped token and says how often to renew it', async () => {
    const { cp, dp } = await clusters(true, 86_400);
    const r = await registerDataPlanes(newTarget(cp.cluster(), 'control-plane'), [newTarget(dp.cluster(), 'data-plane')],
      opts({ tokenTtlSeconds: 365 * 86_400, boundedTokens: true }), () => {});
    expect(r.registrations[0]).toMatchObject({ credential: 'token', tokenLifetimeGrantedSeconds: 86_400, verified: true });
    expect(r.checks.find((c) => c.id === 'TOKEN-LIFETIME')!.message).toMatch(/renewed at least every 16h/);
    expect(dp.list('v1', 'Secret').filter((x) => x.metadata.namespace === NS).filter((s) => s.type === 'kubernetes.io/service-account-token')).toEqual([]);
  });
});

const withTargets = (t: readonly [Target, Target]): [Target, Target[]] => [t[0], [t[1]]];

