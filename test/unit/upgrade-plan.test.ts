import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient, KubeRequest } from '../../src/kube/client.js';
import { FIELD_MANAGER } from '../../src/model/field-manager.js';
import { refOf, type KubeObject } from '../../src/model/object.js';
import { loadOperatorRelease, renderForCluster, type OperatorRelease, type Role } from '../../src/manifests/operator-release.js';
import { OFFICIAL, type InstallRecord } from '../../src/plan/install-record.js';
import {
  describeChange, hasChanges, plannedActions, summarizePlan, KEPT_CRD, KEPT_CUSTOM_RESOURCE, KEPT_NOT_READ, objectKey, planClusterUpgrade, upgradeStages,
  type ClusterUpgradePlan, type LiveObjects,
} from '../../src/plan/upgrade.js';
import { loadInstalledReleases, readLiveMetadata } from '../../src/kube/upgrade-read.js';

const upstream = (v: string) => path.resolve(import.meta.dirname, `../../../shared/upstream/k8ssandra-operator-${v}`);
const NS = 'k8ssandra-operator';

const ours = (o: KubeObject): KubeObject['metadata'] => ({ ...o.metadata, uid: `uid-${o.metadata.name}`,
  managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply', time: '2026-01-01T00:00:00Z' }] });
/** What a cluster holds after `install` of `objs`: every object, written by our field manager. */
const installedLive = (objs: KubeObject[]): LiveObjects => new Map(objs.map((o) => [objectKey(o), ours(o)]));

const releases: Record<string, OperatorRelease> = {};
beforeAll(async () => {
  for (const v of ['v1.29.1', 'v1.32.5']) {
    for (const scoped of [false, true]) releases[`${v}/${scoped}`] = await loadOperatorRelease({ manifests: upstream(v), clusterScoped: scoped });
  }
}, 120_000); // eight 4 MB files to parse when the parse cache is cold

function plan(role: Role, scoped: boolean, live?: (from: KubeObject[]) => LiveObjects, versions = ['v1.29.1', 'v1.32.5'], ns = NS): ClusterUpgradePlan {
  const [a, b] = versions.map((v) => releases[`${v}/${scoped}`]!);
  const from = { version: a!.version, cassOperatorVersion: a!.cassOperatorVersion, objects: renderForCluster(a!, role, ns) };
  const to = { version: b!.version, cassOperatorVersion: b!.cassOperatorVersion, objects: renderForCluster(b!, role, ns) };
  return planClusterUpgrade({ context: role === 'control-plane' ? 'cp' : 'dp1', role, from, to, live: (live ?? installedLive)(from.objects) });
}

// Independently read from the two releases (see ../shared/design/field-conditions.md).
const CRDS_WITH_NEW_SCHEMA = ['cassandradatacenters.cassandra.datastax.com', 'cassandratasks.control.k8ssandra.io', 'k8ssandraclusters.k8ssandra.io',
  'k8ssandratasks.control.k8ssandra.io', 'reapers.reaper.k8ssandra.io', 'replicatedsecrets.replication.k8ssandra.io', 'scheduledtasks.control.k8ssandra.io',
  'stargates.stargate.k8ssandra.io'];

describe('upgrade plan between the real releases v1.29.1 and v1.32.5', () => {
  for (const role of ['control-plane', 'data-plane'] as const) {
    for (const scoped of [false, true]) {
      it(`${role}${scoped ? ', cluster-scoped' : ''}: every CRD, the RBAC, both Deployments, the image ConfigMap, two Services change; one ConfigMap goes, one Certificate comes`, () => {
        const p = plan(role, scoped);
        expect(p).toMatchObject({ role, direction: 'upgrade', from: { operator: 'v1.29.1', cassOperator: 'v1.28.0' }, to: { operator: 'v1.32.5', cassOperator: 'v1.30.2' } });
        expect(p.added.map(refOf)).toEqual([`Certificate/${NS}/cass-operator-metrics-certs`]);
        expect(p.removed.map(refOf)).toEqual([`ConfigMap/${NS}/cass-operator-manager-config`]);
        expect(p.removed[0]!.metadata.uid).toBe('uid-cass-operator-manager-config');
        expect(p.kept).toEqual([]);
        expect(p.foreign).toEqual([]);

        const changed = new Map(p.changed.map((c) => [refOf(c.object), c.what]));
        const crds = p.changed.filter((c) => c.object.kind === 'CustomResourceDefinition');
        expect(crds).toHaveLength(15);
        expect(crds.filter((c) => c.what.includes('schema')).map((c) => c.object.metadata.name).sort()).toEqual(CRDS_WITH_NEW_SCHEMA);
        // controller-gen's version annotation moves in all; no version is added, dropped or moved to storage.
        for (const c of crds) expect(c.what.filter((w) => w !== 'schema')).toEqual(['annotations']);
        const others = Object.fromEntries([...changed].filter(([ref]) => !ref.startsWith('CustomResourceDefinition/')));
        expect(others).toEqual({
          [`${scoped ? 'ClusterRole' : 'Role'}/${NS}/k8ssandra-operator`]: ['rules'],
          [`Role/${NS}/cass-operator-leader-election-role`]: ['rules'],
          [`ConfigMap/${NS}/cass-operator-image-config`]: ['data'],
          [`Service/${NS}/cass-operator-webhook-service`]: ['spec'],
          [`Service/${NS}/cass-operator-controller-manager-metrics-service`]: ['spec'],
          [`Deployment/${NS}/k8ssandra-operator`]: ['image'],
          [`Deployment/${NS}/cass-operator-controller-manager`]: ['image', 'spec'],
          [`Certificate/${NS}/cass-operator-serving-cert`]: ['labels'],
        });
        const images = p.changed.flatMap((c) => c.images).map((i) => `${i.deployment}: ${i.from} -> ${i.to}`).sort();
        expect(images).toEqual([
          'cass-operator-controller-manager: docker.io/k8ssandra/cass-operator:v1.28.0 -> docker.io/k8ssandra/cass-operator:v1.30.2',
          'k8ssandra-operator: k8ssandra/k8ssandra-operator:v1.29.1 -> k8ssandra/k8ssandra-operator:v1.32.5',
        ]);
        expect(p.unchanged).toBe(45 - 1 - p.changed.length);
        expect(hasChanges(p)).toBe(true);
        // The whole new release is applied, namespace and CRDs first.
        expect(p.apply).toHaveLength(45);
        expect(p.apply.slice(0, 16).every((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace')).toBe(true);
      });
    }
  }

  it('summarizes as JSON-safe data: references, what changed, versions', () => {
    const s = summarizePlan(plan('data-plane', false));
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s).toMatchObject({ context: 'dp1', role: 'data-plane', direction: 'upgrade', from: { operator: 'v1.29.1' }, to: { operator: 'v1.32.5' },
      added: [`Certificate/${NS}/cass-operator-metrics-certs`], removed: [`ConfigMap/${NS}/cass-operator-manager-config`], kept: [], foreign: [], unchanged: 21 });
    expect(s.changed.find((c) => c.ref === `Deployment/${NS}/k8ssandra-operator`)).toEqual({ ref: `Deployment/${NS}/k8ssandra-operator`, what: ['image'],
      images: [{ deployment: 'k8ssandra-operator', container: 'k8ssandra-operator', from: 'k8ssandra/k8ssandra-operator:v1.29.1', to: 'k8ssandra/k8ssandra-operator:v1.32.5' }] });
    expect(JSON.stringify(s).length).toBeLessThan(10_000);
  });

  it('counts what it would do as a run counts what it did (the table of a dry run): every object once', () => {
    const p = plan('data-plane', false);
    const actions = plannedActions(p);
    const count = (a: string) => actions.filter((x) => x.action === a).length;
    expect({ created: count('created'), changed: count('changed'), unchanged: count('unchanged'), deleted: count('deleted'), kept: count('kept') })
      .toEqual({ created: 1, changed: p.changed.length, unchanged: p.unchanged, deleted: 1, kept: 0 });
    expect(new Set(actions.map((a) => a.ref)).size).toBe(actions.length);
    expect(actions).toContainEqual({ ref: `ConfigMap/${NS}/cass-operator-manager-config`, action: 'deleted' });
  });

  it('follows the namespace the release was installed into', () => {
    const p = plan('data-plane', false, undefined, undefined, 'cassandra');
    expect(p.removed.map(refOf)).toEqual(['ConfigMap/cassandra/cass-operator-manager-config']);
    expect(p.added.map(refOf)).toEqual(['Certificate/cassandra/cass-operator-metrics-certs']);
  });

  it('never removes an object our field manager did not write, and says who did', () => {
    const cm = (from: KubeObject[]) => from.find((o) => o.metadata.name === 'cass-operator-manager-config')!;
    const byKubectl = plan('data-plane', false, (from) => {
      const live = installedLive(from);
      live.set(objectKey(cm(from)), { ...cm(from).metadata, managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update' }] });
      return live;
    });
    expect(byKubectl.removed).toEqual([]);
    expect(byKubectl.kept).toEqual([expect.objectContaining({ ref: `ConfigMap/${NS}/cass-operator-manager-config`, reason: expect.stringMatching(/not written by k8ssandra \(installed by kubectl/) })]);

    const byHelm = plan('control-plane', true, (from) => {
      const live = installedLive(from);
      // Helm's marks decide even where our field manager also wrote (an earlier --force).
      live.set(objectKey(cm(from)), { ...ours(cm(from)), labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'k8ssandra-operator', 'meta.helm.sh/release-namespace': NS } });
      return live;
    });
    expect(byHelm.removed).toEqual([]);
    expect(byHelm.kept[0]!.reason).toMatch(/installed by Helm release k8ssandra-operator in namespace k8ssandra-operator/);

    const unread = plan('data-plane', false, (from) => {
      const live = installedLive(from);
      live.delete(objectKey(cm(from)));
      return live;
    });
    expect(unread.removed).toEqual([]);
    expect(unread.kept.map((k) => k.reason)).toEqual([KEPT_NOT_READ]);
  });

  it('names the objects of the new release that someone else installed (taking them over needs --force)', () => {
    const p = plan('data-plane', false, (from) => {
      const live = installedLive(from);
      const d = from.find((o) => o.kind === 'Deployment' && o.metadata.name === 'k8ssandra-operator')!;
      live.set(objectKey(d), { ...d.metadata, labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'k8o' },
        managedFields: [{ manager: 'helm', operation: 'Update' }] });
      return live;
    });
    expect(p.foreign.map((f) => [f.ref, f.reason])).toEqual([[`Deployment/${NS}/k8ssandra-operator`, 'installed by Helm release k8o']]);
  });

  it('converges: what an earlier run removed is not planned again, and the same release twice changes nothing', () => {
    const rerun = plan('data-plane', false, (from) => {
      const live = installedLive(from);
      live.set(objectKey(from.find((o) => o.metadata.name === 'cass-operator-manager-config')!), null);
      return live;
    });
    expect(rerun.removed).toEqual([]);
    expect(rerun.kept).toEqual([]);
    const again = plan('control-plane', false, undefined, ['v1.32.5', 'v1.32.5']);
    expect(again.direction).toBe('same');
    expect(hasChanges(again)).toBe(false);
    expect(again.unchanged).toBe(45);
    expect(again.apply).toHaveLength(45);
  });

  it('a downgrade is planned the other way round, named as such', () => {
    const p = plan('control-plane', false, undefined, ['v1.32.5', 'v1.29.1']);
    expect(p.direction).toBe('downgrade');
    expect(p.added.map(refOf)).toEqual([`ConfigMap/${NS}/cass-operator-manager-config`]);
    expect(p.removed.map(refOf)).toEqual([`Certificate/${NS}/cass-operator-metrics-certs`]);
  });
});

describe('upgrade plan: what is never removed', () => {
  const obj = (apiVersion: string, kind: string, name: string, extra: object = {}): KubeObject => ({ apiVersion, kind, metadata: { name, namespace: 'ns' }, ...extra });
  const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.io' },
    spec: { group: 'example.io', names: { kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true }] } };
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } };
  const widget = obj('example.io/v1', 'Widget', 'w');
  const cm = obj('v1', 'ConfigMap', 'gone');
  const from = { version: 'v1.0.0', objects: [ns, crd, widget, cm] };
  const to = { version: 'v1.1.0', objects: [] };
  const live: LiveObjects = new Map([ns, crd, widget, cm].map((o) => [objectKey(o), ours(o)]));

  it('keeps CRDs, namespaces and custom resources even when ours; removes the rest', () => {
    const p = planClusterUpgrade({ context: 'x', role: 'data-plane', from, to, live });
    expect(p.removed.map(refOf)).toEqual(['ConfigMap/ns/gone']);
    expect(Object.fromEntries(p.kept.map((k) => [k.ref, k.reason]))).toEqual({
      'CustomResourceDefinition/widgets.example.io': KEPT_CRD, 'Namespace/ns': expect.stringMatching(/namespaces are never removed/),
      'Widget/ns/w': KEPT_CUSTOM_RESOURCE });
  });

  it('tells a CRD version change from a schema change, and an image from the rest of a Deployment', () => {
    const v2 = { ...crd, spec: { ...crd.spec, versions: [{ name: 'v1', served: true, storage: false }, { name: 'v2', served: true, storage: true }] } };
    expect(describeChange(crd, v2).what).toEqual(['versions', 'schema']);
    expect(describeChange(crd, { ...crd, spec: { ...crd.spec, versions: [{ ...crd.spec.versions[0], schema: { openAPIV3Schema: { type: 'object' } } }] } }).what).toEqual(['schema']);
    const dep = (image: string, replicas = 1) => obj('apps/v1', 'Deployment', 'd', { spec: { replicas, template: { spec: { containers: [{ name: 'm', image }] } } } });
    expect(describeChange(dep('a:1'), dep('a:2'))).toEqual({ what: ['image'], images: [{ deployment: 'd', container: 'm', from: 'a:1', to: 'a:2' }] });
    expect(describeChange(dep('a:1'), dep('a:1', 2))).toEqual({ what: ['spec'], images: [] });
    // Key order is not a change.
    expect(describeChange(obj('v1', 'ConfigMap', 'c', { data: { a: '1', b: '2' } }), obj('v1', 'ConfigMap', 'c', { data: { b: '2', a: '1' } })).what).toEqual([]);
  });
});

describe('upgrade order', () => {
  it('CRDs in every cluster first, then the data planes, then the control plane; removals after their Deployments run', () => {
    const cp = plan('control-plane', false);
    const dp1 = { ...plan('data-plane', false), context: 'dp1' };
    const dp2 = { ...plan('data-plane', false), context: 'dp2' };
    const stages = upgradeStages([cp, dp1, dp2]);
    expect(stages.map((s) => [s.name, s.clusters.map((c) => c.context)])).toEqual([['crds', ['cp', 'dp1', 'dp2']], ['data-planes', ['dp1', 'dp2']], ['control-plane', ['cp']]]);
    const [crds, dps, cpStage] = stages;
    for (const c of crds!.clusters) {
      expect(new Set(c.apply.map((o) => o.kind))).toEqual(new Set(['Namespace', 'CustomResourceDefinition']));
      expect(c.waitEstablished).toHaveLength(15);
      expect(c.remove).toEqual([]);
    }
    for (const c of [...dps!.clusters, ...cpStage!.clusters]) {
      expect(c.apply).toHaveLength(29);
      expect(c.apply.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
      expect(c.waitDeployments.map((d) => `${d.namespace}/${d.name}`).sort()).toEqual([`${NS}/cass-operator-controller-manager`, `${NS}/k8ssandra-operator`]);
      expect(c.remove.map(refOf)).toEqual([`ConfigMap/${NS}/cass-operator-manager-config`]);
    }
  });

  it('leaves out a stage no cluster is in', () => {
    expect(upgradeStages([plan('data-plane', false)]).map((s) => s.name)).toEqual(['crds', 'data-planes']);
  });
});

describe('reading what is installed', () => {
  const record = (over: Partial<InstallRecord>): InstallRecord => ({ tool: '0.1.0', role: 'data-plane', clusterScoped: false, operatorVersion: 'v1.29.1',
    operatorSource: upstream('v1.29.1'), ...over });

  it('loads the release each install record names, once per source', async () => {
    const got = await loadInstalledReleases(new Map([['cp', record({ role: 'control-plane' })], ['dp1', record({})], ['dp2', record({ clusterScoped: true })]]));
    expect([...got].map(([c, r]) => [c, r.version, r.clusterScoped])).toEqual([['cp', 'v1.29.1', false], ['dp1', 'v1.29.1', false], ['dp2', 'v1.29.1', true]]);
    expect(got.get('cp')).toBe(got.get('dp1'));
  });

  it('refuses a recorded source that is gone, with a hint', async () => {
    await expect(loadInstalledReleases(new Map([['dp1', record({ operatorSource: '/nowhere/v1.29.1' })]])))
      .rejects.toMatchObject({ exit: 'usage', message: expect.stringMatching(/dp1 was installed from \/nowhere\/v1.29.1/), hint: expect.stringMatching(/put the v1.29.1 manifests back/) });
  });

  it('loads an official release by its recorded version', async () => {
    const rendered: string[] = [];
    // The smallest release: the operator Deployment, which names the version.
    const renderOfficial = async (variant: string, version: string) => {
      rendered.push(`${variant}@${version}`);
      return `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: k8ssandra-operator, namespace: k8ssandra-operator}\n`
        + `spec: {template: {spec: {containers: [{name: m, image: "k8ssandra/k8ssandra-operator:${version}", env: [{name: K8SSANDRA_CONTROL_PLANE, value: "true"}]}]}}}\n`;
    };
    const before = process.env.K8SSANDRA_CACHE_DIR;
    process.env.K8SSANDRA_CACHE_DIR = mkdtempSync(path.join(tmpdir(), 'cache-'));
    try {
      const got = await loadInstalledReleases(new Map([['cp', record({ operatorSource: OFFICIAL, operatorVersion: 'v1.29.1' })]]), { renderOfficial });
      expect(got.get('cp')!.version).toBe('v1.29.1');
      expect(rendered.sort()).toEqual(['control-plane@v1.29.1', 'data-plane@v1.29.1']);
    } finally {
      if (before === undefined) delete process.env.K8SSANDRA_CACHE_DIR;
      else process.env.K8SSANDRA_CACHE_DIR = before;
    }
  });

  it('reads who wrote what exists, one list per kind and namespace; absent is null, an unreadable kind is left out', async () => {
    const paths: string[] = [];
    const client = {
      context: 'dp1', server: 'https://dp1', requestCount: 0,
      async request(req: KubeRequest) {
        paths.push(req.path);
        if (req.path === '/api/v1/namespaces/ns/configmaps') return { items: [{ metadata: { name: 'a', managedFields: [{ manager: FIELD_MANAGER }] } }] };
        if (req.path === '/api/v1/namespaces/ns/services') throw new Error('boom');
        throw new Error(`unexpected ${req.path}`);
      },
    } as unknown as KubeClient;
    const o = (kind: string, name: string): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name, namespace: 'ns' } });
    const live = await readLiveMetadata(client, [o('ConfigMap', 'a'), o('ConfigMap', 'b'), o('Service', 's')]);
    expect(paths.sort()).toEqual(['/api/v1/namespaces/ns/configmaps', '/api/v1/namespaces/ns/services']);
    expect(live.get(objectKey(o('ConfigMap', 'a')))?.managedFields).toEqual([{ manager: FIELD_MANAGER }]);
    expect(live.get(objectKey(o('ConfigMap', 'b')))).toBeNull();
    expect(live.has(objectKey(o('Service', 's')))).toBe(false);
  });
});
