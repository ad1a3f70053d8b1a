import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/model/object.js';
import { loadOperatorRelease, type OperatorRelease } from '../../src/manifests/operator-release.js';
import { downgradeRisks, droppedFields, versionDirection } from '../../src/plan/version-change.js';

const upstream = (v: string) => path.resolve(import.meta.dirname, `../../../shared/upstream/k8ssandra-operator-${v}`);
const crdsOf = (r: OperatorRelease) => r.byRole['control-plane'].filter((o) => o.kind === 'CustomResourceDefinition');
/** A CRD as the API server returns it after objects were stored in the given versions. */
const live = (crd: KubeObject, storedVersions: string[]): KubeObject => ({ ...crd, status: { storedVersions } });

let older: OperatorRelease, newer: OperatorRelease;
beforeAll(async () => {
  older = await loadOperatorRelease({ manifests: upstream('v1.29.1') });
  newer = await loadOperatorRelease({ manifests: upstream('v1.32.5') });
}, 60_000);

describe('version direction', () => {
  it('compares release tags as semver, with or without the v', () => {
    expect(versionDirection('v1.29.1', 'v1.32.5')).toBe('upgrade');
    expect(versionDirection('v1.32.5', 'v1.29.1')).toBe('downgrade');
    expect(versionDirection('v1.32.5', 'v1.32.5')).toBe('same');
    expect(versionDirection('1.32.5', 'v1.32.5')).toBe('same');
    expect(versionDirection('v1.9.0', 'v1.10.0')).toBe('upgrade');
    expect(versionDirection('v1.33.0-rc.1', 'v1.33.0')).toBe('upgrade');
    expect(versionDirection('latest', 'v1.32.5')).toBe('unknown');
    expect(versionDirection('sha-1234', 'sha-1234')).toBe('same');
  });
});

describe('what a downgrade could break', () => {
  it('v1.32.5 back to v1.29.1: every stored version is still served; fields only v1.32.5 knows are pruned', () => {
    const installedCrds = crdsOf(newer).map((c) => live(c, c.spec.versions.filter((v: any) => v.storage).map((v: any) => v.name)));
    const risks = downgradeRisks({ installedCrds, installed: newer.byRole['control-plane'], older: older.byRole['control-plane'], olderVersion: 'v1.29.1' });
    expect(risks.filter((r) => r.kind !== 'fields-dropped')).toEqual([]);
    expect(risks.every((r) => !r.blocking)).toBe(true);
    // Read independently from the two releases' schemas: these seven gained fields after v1.29.1.
    expect(risks.map((r) => r.crd).sort()).toEqual(['cassandradatacenters.cassandra.datastax.com', 'cassandratasks.control.k8ssandra.io',
      'k8ssandraclusters.k8ssandra.io', 'k8ssandratasks.control.k8ssandra.io', 'reapers.reaper.k8ssandra.io', 'scheduledtasks.control.k8ssandra.io',
      'stargates.stargate.k8ssandra.io']);
    const cdc = risks.find((r) => r.crd === 'cassandradatacenters.cassandra.datastax.com')!;
    expect(cdc.message).toMatch(/field.* unknown to v1\.29\.1 \(.*\.spec\.maxUnavailable/);
  });

  it('names only the top of a missing subtree', () => {
    const crd = (props: object): KubeObject => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'w.example.io' },
      spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object', properties: props } } }] } });
    const a = crd({ spec: { type: 'object', properties: { size: { type: 'integer' } } } });
    const b = crd({ spec: { type: 'object', properties: { size: { type: 'integer' }, tls: { type: 'object', properties: { ca: { type: 'string' } } },
      racks: { type: 'array', items: { type: 'object', properties: { zone: { type: 'string' } } } } } } });
    expect(droppedFields(b, a)).toEqual(['.spec.tls', '.spec.racks']);
    expect(droppedFields(a, b)).toEqual([]);
    expect(droppedFields(b, crd({ spec: { type: 'object', properties: { racks: { type: 'array', items: { type: 'object' } } } } }))).toEqual(['.spec.size', '.spec.tls', '.spec.racks[].zone']);
  });

  it('a stored version the older CRD lacks blocks; one it lists but does not serve breaks reads; a CRD it lacks is kept', () => {
    const [k8c] = crdsOf(newer).filter((c) => c.metadata.name === 'k8ssandraclusters.k8ssandra.io');
    const olderK8c = crdsOf(older).find((c) => c.metadata.name === 'k8ssandraclusters.k8ssandra.io')!;
    const unserved = { ...olderK8c, spec: { ...olderK8c.spec, versions: olderK8c.spec.versions.map((v: any) => ({ ...v, served: false })) } };
    const extra = { ...k8c!, metadata: { name: 'widgets.example.io' } };
    const risks = downgradeRisks({ installedCrds: [live(k8c!, ['v1alpha1', 'v1beta1']), live(extra, ['v1'])], installed: [], older: [unserved], olderVersion: 'v1.0.0' });
    expect(risks.map((r) => [r.crd, r.kind, r.blocking])).toEqual([
      ['k8ssandraclusters.k8ssandra.io', 'stored-version-unserved', false],
      ['k8ssandraclusters.k8ssandra.io', 'stored-version-dropped', true],
      ['widgets.example.io', 'crd-unknown', false],
    ]);
    expect(risks[1]!.message).toMatch(/objects stored as v1beta1, a version v1\.0\.0 does not define: the API server refuses its CRD/);
  });
});
