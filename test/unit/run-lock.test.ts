// The run lock's rules and the delete rules that protect what other runs and users made (pure logic; the
// same rules against real servers and two real processes: test/e2e/concurrent-runs.test.ts).
import { describe, expect, it } from 'vitest';
import { describeHolder, holderOf, HOLDER_ANNOTATION, LEASE_SECONDS, leaseFor, lockReport, lockState, type Holder, type Lease } from '../../src/plan/lock.js';
import { isNamespaceDefault, isThisRuns, namespaceDeletion, type Found } from '../../src/plan/namespace-deletion.js';
import { PROBE_RUN_LABEL } from '../../src/routability/contract.js';
import { toCliError, ApiError } from '../../src/kube/client.js';

const T0 = Date.parse('2026-12-06T14:02:11Z');
const alice: Holder = { id: 'alice@ci-42/4242/aaaa1111', user: 'alice', host: 'ci-42', pid: 4242, command: 'install', startedAt: '2026-12-06T14:02:11.123Z' };
const bob: Holder = { id: 'bob@laptop/77/bbbb2222', user: 'bob', host: 'laptop', pid: 77, command: 'check', startedAt: '2026-12-06T14:05:00.000Z' };
const held = (h: Holder, renewedAt: number): Lease => ({ ...leaseFor('k8ssandra-operator', h, renewedAt), metadata: { ...leaseFor('k8ssandra-operator', h, renewedAt).metadata, resourceVersion: '7' } });

describe('the lock: who holds it and when it is free', () => {
  it('names the holder as a person reads it', () => {
    expect(describeHolder(alice)).toBe('alice@ci-42 (install, pid 4242, started 14:02:11 UTC)');
    expect(holderOf(held(alice, T0))).toEqual(alice);
  });

  it('a Lease without a holder (given back, or never taken) is free; our own is ours', () => {
    expect(lockState(null, bob.id, T0, T0)).toEqual({ state: 'free' });
    const released = held(alice, T0);
    released.spec!.holderIdentity = '';
    expect(lockState(released, bob.id, T0, T0)).toEqual({ state: 'free' });
    expect(lockState(held(bob, T0), bob.id, T0, T0)).toEqual({ state: 'mine' });
  });

  it('is held while it keeps changing, and expires once it has not changed for its lease, by this machine\'s clock', () => {
    const lease = held(alice, T0);
    expect(lockState(lease, bob.id, T0 + 14_000, T0)).toMatchObject({ state: 'held', holder: alice });
    expect(lockState(lease, bob.id, T0 + LEASE_SECONDS * 1000, T0)).toMatchObject({ state: 'expired', holder: alice, silentForMs: 15_000 });
  });

  it('a holder whose clock runs ahead or behind ours is not judged dead by its renewTime alone', () => {
    // The holder's clock is 10 minutes behind: its renewTime looks old, but we saw the Lease change just now.
    const skewed = held(alice, T0 - 600_000);
    expect(lockState(skewed, bob.id, T0 + 1000, T0)).toMatchObject({ state: 'held' });
    // Seen unchanged for the lease duration: gone, whatever its clock said.
    expect(lockState(held(alice, T0 + 600_000), bob.id, T0 + 15_000, T0)).toMatchObject({ state: 'expired' });
  });

  it('an old renewTime alone is no proof: the Lease must be seen unchanged for the whole lease', () => {
    expect(lockState(held(alice, T0), bob.id, T0 + 3_600_000, T0 + 3_600_000 - 1000)).toMatchObject({ state: 'held' });
  });

  it('a Lease of another tool, or an annotation edited by hand, still names a holder (never taken as free)', () => {
    const foreign = held(alice, T0);
    foreign.metadata.annotations = { [HOLDER_ANNOTATION]: 'not json' };
    expect(lockState(foreign, bob.id, T0 + 1000, T0)).toMatchObject({ state: 'held', holder: { id: alice.id, command: 'unknown' } });
  });

  it('an update keeps the time it was taken and carries the resourceVersion read (a lost race is a 409, not an overwrite)', () => {
    const first = held(alice, T0);
    const renewed = leaseFor('k8ssandra-operator', alice, T0 + 5000, first);
    expect(renewed.metadata.resourceVersion).toBe('7');
    expect(renewed.spec).toMatchObject({ holderIdentity: alice.id, leaseDurationSeconds: LEASE_SECONDS, acquireTime: first.spec!.acquireTime });
    expect(renewed.spec!.renewTime).not.toBe(first.spec!.renewTime);
    const takenOver = leaseFor('k8ssandra-operator', bob, T0 + 20_000, first);
    expect(takenOver.spec!.acquireTime).toBe(takenOver.spec!.renewTime);
  });

  it('status reports a held lock with who and since when, and says when it has expired', () => {
    expect(lockReport(held(alice, T0), T0 + 1000)).toEqual({ namespace: 'k8ssandra-operator', holder: 'alice@ci-42 (install, pid 4242, started 14:02:11 UTC)',
      command: 'install', user: 'alice', host: 'ci-42', pid: 4242, since: '2026-12-06T14:02:11.000000Z', renewedAt: '2026-12-06T14:02:11.000000Z', expired: false });
    expect(lockReport(held(alice, T0), T0 + 16_000)?.expired).toBe(true);
    const released = held(alice, T0);
    released.spec!.holderIdentity = undefined;
    expect(lockReport(released, T0)).toBeUndefined();
  });
});

describe('delete rule: a namespace goes only if this run made it and it holds nothing but this run\'s', () => {
  const run = { id: 'aaaa1111', holderId: alice.id };
  const defaults: Found[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', name: 'kube-root-ca.crt' }, { apiVersion: 'v1', kind: 'ServiceAccount', name: 'default' },
    { apiVersion: 'v1', kind: 'Event', name: 'x.17a' }, { apiVersion: 'events.k8s.io/v1', kind: 'Event', name: 'x.17a' }];
  const ourLease: Found = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: 'k8ssandra-cli-lock', holderIdentity: alice.id };
  const ourPod: Found = { apiVersion: 'v1', kind: 'Pod', name: 'k8ssandra-probe-listener-aaaa1111', labels: { [PROBE_RUN_LABEL]: 'aaaa1111' } };

  it('what Kubernetes puts in every namespace does not make it anyone\'s', () => {
    for (const d of defaults) expect(isNamespaceDefault(d), d.kind).toBe(true);
    expect(isNamespaceDefault({ apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config' })).toBe(false);
    expect(isNamespaceDefault({ apiVersion: 'v1', kind: 'ServiceAccount', name: 'k8ssandra-operator' })).toBe(false);
  });

  it('deleted when it holds only this run\'s lock and probe pods', () => {
    expect(namespaceDeletion('ns', [...defaults, ourLease, ourPod], run)).toEqual({ delete: true });
    expect(namespaceDeletion('ns', [], run)).toEqual({ delete: true });
  });

  it('kept when another run holds a lock there (it took it after this run gave its own back), or probes there', () => {
    const theirLease = { ...ourLease, holderIdentity: bob.id };
    expect(isThisRuns(theirLease, run)).toBe(false);
    expect(namespaceDeletion('ns', [theirLease], run)).toMatchObject({ delete: false, others: ['Lease/k8ssandra-cli-lock'] });
    const theirPod = { ...ourPod, name: 'k8ssandra-probe-listener-bbbb2222', labels: { [PROBE_RUN_LABEL]: 'bbbb2222' } };
    expect(namespaceDeletion('ns', [ourLease, theirPod], run)).toMatchObject({ delete: false, others: ['Pod/k8ssandra-probe-listener-bbbb2222'] });
  });

  it('kept when it holds an install or a K8ssandraCluster, and the line says what', () => {
    const v = namespaceDeletion('k8ssandra-operator', [ourLease, { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', name: 'prod' },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'k8ssandra-operator' }], run);
    expect(v).toEqual({ delete: false, why: 'namespace k8ssandra-operator is kept: it holds K8ssandraCluster/prod, Deployment/k8ssandra-operator',
      others: ['K8ssandraCluster/prod', 'Deployment/k8ssandra-operator'] });
  });

  it('a label of this run on something other than a probe pod does not make it this run\'s', () => {
    expect(isThisRuns({ apiVersion: 'v1', kind: 'Secret', name: 's', labels: { [PROBE_RUN_LABEL]: 'aaaa1111' } }, run)).toBe(false);
  });

  it('kept when what it holds could not all be listed (what cannot be seen may be someone\'s data)', () => {
    expect(namespaceDeletion('ns', undefined, run)).toMatchObject({ delete: false, why: 'namespace ns is kept: not everything in it could be listed' });
  });

  it('names at most five objects, and how many more', () => {
    const many = Array.from({ length: 8 }, (_, i): Found => ({ apiVersion: 'v1', kind: 'Secret', name: `s${i}` }));
    expect((namespaceDeletion('ns', many, run) as { why: string }).why).toBe('namespace ns is kept: it holds Secret/s0, Secret/s1, Secret/s2, Secret/s3, Secret/s4 and 3 more');
  });
});

describe('another actor is not an internal error', () => {
  it('a namespace or object deleted under the run, a namespace being terminated, a stale write: conflict (exit 7) with the hint to re-run', () => {
    for (const e of [
      new ApiError(404, 'NotFound', 'namespaces "k8ssandra-operator" not found', 'cp'),
      new ApiError(403, 'Forbidden', 'unable to create new content in namespace k8ssandra-operator because it is being terminated', 'cp'),
      new ApiError(409, 'Conflict', 'Operation cannot be fulfilled on leases.coordination.k8s.io "k8ssandra-cli-lock": the object has been modified', 'cp'),
    ]) {
      const c = toCliError(e, 'install');
      expect(c.exit, e.message).toBe('conflict');
      expect(c.hint).toMatch(/run the same command again/);
    }
  });

  it('a field another manager owns stays a --force conflict; RBAC stays a failed check', () => {
    expect(toCliError(new ApiError(409, 'Conflict', 'Apply failed with 1 conflict: conflict with "kubectl-edit"', 'cp'), 'install').hint).toMatch(/--force/);
    expect(toCliError(new ApiError(403, 'Forbidden', 'leases is forbidden', 'cp'), 'install').exit).toBe('checksFailed');
  });
});
