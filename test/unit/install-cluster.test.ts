import { describe, expect, it } from 'vitest';
import { FIELD_MANAGER } from '../../src/model/field-manager.js';
import { renderForCluster } from '../../src/manifests/operator-release.js';
import { parseInstallRecord } from '../../src/plan/install-record.js';
import { installCluster } from '../../src/kube/install-release.js';
import { FakeCluster } from '../fakes/fake-cluster.js';
import { certManagerCrds, installTarget, NS, upstreamRelease } from '../fakes/installation.js';

const opts = () => ({ namespace: NS, dryRun: false, force: false, deadline: Date.now() + 10_000 });

describe('installing the operator into one cluster (real release, fake cluster)', () => {
  it('creates every object of the release and the install record, then a re-run finds all unchanged and writes nothing', async () => {
    const release = await upstreamRelease();
    const fake = new FakeCluster({ name: 'dp1' });
    fake.seed(...certManagerCrds());
    const steps: string[] = [];
    const first = await installCluster(installTarget(fake, 'data-plane'), release, undefined, opts(), (s) => steps.push(s));
    const expected = renderForCluster(release, 'data-plane', NS);
    expect(steps).toEqual(['operator']);
    expect(first).toHaveLength(expected.length + 1);
    expect(first.every((a) => a.action === 'created')).toBe(true);

    // What the cluster holds: every object of the release, in the namespace asked, written by us.
    for (const o of expected) {
      const held = fake.get({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
      expect(held, `${o.kind}/${o.metadata.name}`).toBeDefined();
      expect(held!.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: FIELD_MANAGER, operation: 'Apply' }));
    }
    const op = fake.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'k8ssandra-operator' })!;
    expect(op.spec.template.spec.containers[0].env).toContainEqual({ name: 'K8SSANDRA_CONTROL_PLANE', value: 'false' });
    expect(fake.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition').filter((c) => c.spec.group.endsWith('k8ssandra.io') || c.spec.group === 'cassandra.datastax.com'))
      .toHaveLength(expected.filter((o) => o.kind === 'CustomResourceDefinition').length);
    expect(parseInstallRecord(fake.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'k8ssandra-install' })))
      .toMatchObject({ role: 'data-plane', operatorVersion: 'v1.32.5' });

    const rvs = new Map(fake.list('apps/v1', 'Deployment').map((d) => [d.metadata.name, d.metadata.resourceVersion]));
    const logged = fake.log.length;
    const second = await installCluster(installTarget(fake, 'data-plane'), release, undefined, opts(), () => {});
    expect(second.map((a) => a.action)).toEqual(first.map(() => 'unchanged'));
    expect(fake.log.slice(logged).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(new Map(fake.list('apps/v1', 'Deployment').map((d) => [d.metadata.name, d.metadata.resourceVersion]))).toEqual(rvs);
  });

  it('a re-run that changes nothing is one round of lists: one per kind, every one asked before any answer', async () => {
    const release = await upstreamRelease();
    const fake = new FakeCluster({ name: 'dp1', latency: () => 5 });
    fake.seed(...certManagerCrds());
    await installCluster(installTarget(fake, 'data-plane'), release, undefined, opts(), () => {});
    const logged = fake.log.length;
    await installCluster(installTarget(fake, 'data-plane'), release, undefined, opts(), () => {});
    const rerun = fake.log.slice(logged);
    const kinds = new Set([...renderForCluster(release, 'data-plane', NS), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: NS } }]
      .map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}`));
    expect(rerun.map((r) => r.method)).toEqual([...kinds].map(() => 'GET'));
    expect(Math.max(...rerun.map((r) => r.start))).toBeLessThan(Math.min(...rerun.map((r) => r.end)));
  });

  it('switching the mode changes only what differs, and an edit by someone else is a conflict unless forced', async () => {
    const release = await upstreamRelease();
    const fake = new FakeCluster({ name: 'cp' });
    fake.seed(...certManagerCrds());
    await installCluster(installTarget(fake, 'data-plane'), release, undefined, opts(), () => {});
    const cp = await installCluster(installTarget(fake, 'control-plane'), release, undefined, opts(), () => {});
    const changed = cp.filter((a) => a.action !== 'unchanged').map((a) => a.ref);
    expect(changed).toEqual(expect.arrayContaining([`Deployment/${NS}/k8ssandra-operator`, `ConfigMap/${NS}/k8ssandra-install`]));
    expect(cp.filter((a) => a.action === 'created')).toEqual([]);

    fake.edit({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'k8ssandra-operator' }, (d) => { d.spec.template.spec.containers[0].image = 'mine:1'; });
    await expect(installCluster(installTarget(fake, 'control-plane'), release, undefined, opts(), () => {}))
      .rejects.toMatchObject({ status: 409, message: expect.stringContaining('conflict with "kubectl-edit"') });
    const forced = await installCluster(installTarget(fake, 'control-plane'), release, undefined, { ...opts(), force: true }, () => {});
    expect(forced.find((a) => a.ref === `Deployment/${NS}/k8ssandra-operator`)).toMatchObject({ action: 'changed', tookOverFrom: ['kubectl-edit'] });
    expect(fake.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'k8ssandra-operator' })!.spec.template.spec.containers[0].image).not.toBe('mine:1');
  });
});
