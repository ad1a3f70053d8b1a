import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import type { KubeObject } from '../../src/model/object.js';
import {
  clusterNotReadyReasons, datacenterContexts, datacenterPatch, datacenterProgress, DC_REPLICATION_ANNOTATION, parseReplication, parseSize,
  planDatacenter, validateDnsLabel, validateObjectName, type AddDcRequest,
} from '../../src/plan/datacenter.js';

const ready = { cassandraOperatorProgress: 'Ready', conditions: [{ type: 'Ready', status: 'True', reason: '', message: '' }] };

function cluster(over: { dcs?: any[]; annotations?: Record<string, string>; status?: any; generation?: number } = {}): KubeObject {
  const dcs = over.dcs ?? [{
    metadata: { name: 'dc1' }, k8sContext: 'dp1', size: 3, stopped: false,
    racks: [{ name: 'r1', nodeAffinityLabels: { 'topology.kubernetes.io/zone': 'us-east-1a' } }, { name: 'r2' }],
    config: { jvmOptions: { heapSize: '1Gi' } }, storageConfig: { cassandraDataVolumeClaimSpec: { storageClassName: 'fast' } },
    networking: { hostNetwork: true }, tolerations: [{ key: 'dedicated', operator: 'Exists' }],
  }];
  return {
    apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster',
    metadata: { name: 'demo', namespace: 'k8ssandra-operator', resourceVersion: '41', generation: over.generation ?? 1, ...(over.annotations ? { annotations: over.annotations } : {}) },
    spec: { cassandra: { serverVersion: '4.1.5', datacenters: dcs } },
    status: over.status ?? { observedGeneration: 1, error: 'None', conditions: [{ type: 'CassandraInitialized', status: 'True' }],
      datacenters: Object.fromEntries(dcs.map((d) => [d.metadata.name, { cassandra: ready }])) },
  };
}
const req = (over: Partial<AddDcRequest> = {}): AddDcRequest => ({ cluster: 'demo', dc: 'dc2', context: 'dp2', k8sContext: 'dp2', ...over });
const usage = (fn: () => unknown): CliError => {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(CliError); expect((e as CliError).exit).toBe('usage'); return e as CliError; }
  throw new Error('expected a usage error');
};

describe('add-dc input', () => {
  it('accepts whole sizes of at least 1 and nothing else', () => {
    expect(parseSize(undefined)).toBeUndefined();
    expect(parseSize('3')).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'abc', '3x', '', '99999999999']) expect(usage(() => parseSize(bad)).message, bad).toMatch(/--size/);
  });

  it('parses --replication into keyspace factors; 0 is allowed, repeats and junk are not', () => {
    expect(parseReplication('ks1=3,ks2=0')).toEqual({ ks1: 3, ks2: 0 });
    expect(parseReplication(' ks_1 = 2 ')).toEqual({ ks_1: 2 });
    expect(usage(() => parseReplication('ks1=3,ks1=2')).message).toMatch(/twice/);
    for (const bad of ['ks1', 'ks1=', '=3', 'ks1=three', 'ks-1=3', 'ks1=3,', 'a.b=1']) usage(() => parseReplication(bad));
  });

  it('names are DNS labels (dc) and Kubernetes names (cluster)', () => {
    expect(validateDnsLabel('--dc', 'dc-2')).toBe('dc-2');
    for (const bad of ['DC2', 'dc_2', '-dc', 'dc-', 'a'.repeat(64), 'dc.2', '']) usage(() => validateDnsLabel('--dc', bad));
    expect(validateObjectName('--cluster', 'demo.prod')).toBe('demo.prod');
    usage(() => validateObjectName('--cluster', 'Demo'));
  });
});

describe('planning the new datacenter', () => {
  it('copies node-shaping settings from the first datacenter, racks by name only, and says which', () => {
    const plan = planDatacenter(cluster(), req());
    expect(plan.action).toBe('created');
    expect(plan.entry).toEqual({
      metadata: { name: 'dc2' }, k8sContext: 'dp2', size: 3, racks: [{ name: 'r1' }, { name: 'r2' }],
      config: { jvmOptions: { heapSize: '1Gi' } }, storageConfig: { cassandraDataVolumeClaimSpec: { storageClassName: 'fast' } },
    });
    expect(plan.copiedFrom).toBe('dc1');
    expect(plan.copied).toEqual(['size', 'racks (names only)', 'storageConfig', 'config']);
    expect(plan.annotation).toBeUndefined();
  });

  it('an explicit size wins; nothing copied means no copiedFrom; the control plane has no k8sContext', () => {
    const plan = planDatacenter(cluster({ dcs: [{ metadata: { name: 'dc1' }, size: 3 }] }), req({ size: 5, k8sContext: '' }));
    expect(plan.entry).toEqual({ metadata: { name: 'dc2' }, size: 5 });
    expect(plan.copiedFrom).toBeUndefined();
    expect(plan.copied).toEqual([]);
  });

  it('--copy-from picks the source; an unknown one is a usage error with a suggestion', () => {
    const kc = cluster({ dcs: [{ metadata: { name: 'dc1' }, size: 3 }, { metadata: { name: 'east' }, size: 6, k8sContext: 'dp9' }] });
    expect(planDatacenter(kc, req({ copyFrom: 'east' })).size).toBe(6);
    expect(usage(() => planDatacenter(kc, req({ copyFrom: 'eats' }))).hint).toMatch(/did you mean east/);
    expect(usage(() => planDatacenter(cluster({ dcs: [] }), req())).hint).toMatch(/--size/);
  });

  it('sets the dc-replication annotation, keeping other datacenters\' entries', () => {
    const kc = cluster({ annotations: { [DC_REPLICATION_ANNOTATION]: '{"dc9":{"ks1":1}}' } });
    const plan = planDatacenter(kc, req({ replication: { ks1: 3, ks2: 3 } }));
    expect(JSON.parse(plan.annotation!)).toEqual({ dc9: { ks1: 1 }, dc2: { ks1: 3, ks2: 3 } });
    const broken = cluster({ annotations: { [DC_REPLICATION_ANNOTATION]: '{nope' } });
    expect(() => planDatacenter(broken, req({ replication: { ks1: 3 } }))).toThrow(/not a JSON object/);
  });

  it('an existing datacenter with the requested settings is unchanged (a re-run)', () => {
    const kc = cluster({ dcs: [{ metadata: { name: 'dc1' }, size: 3, k8sContext: 'dp1' }, { metadata: { name: 'dc2' }, size: 3, k8sContext: 'dp2' }],
      annotations: { [DC_REPLICATION_ANNOTATION]: '{"dc2":{"ks1":3}}' } });
    expect(planDatacenter(kc, req()).action).toBe('unchanged');
    const plan = planDatacenter(kc, req({ size: 3, replication: { ks1: 3 } }));
    expect(plan).toMatchObject({ action: 'unchanged', size: 3, replication: { ks1: 3 } });
  });

  it('an existing datacenter with other settings, or a taken Cassandra name, is refused', () => {
    const kc = cluster({ dcs: [{ metadata: { name: 'dc1' }, size: 3, k8sContext: 'dp1' }, { metadata: { name: 'west' }, datacenterName: 'dc2', size: 1 }] });
    expect(usage(() => planDatacenter(kc, req({ dc: 'dc1' }))).message).toMatch(/dc1 already exists .* different settings: k8sContext dp1, not dp2/);
    expect(usage(() => planDatacenter(kc, req({ dc: 'dc1', k8sContext: 'dp1', size: 4 }))).message).toMatch(/size 3, not 4/);
    expect(usage(() => planDatacenter(kc, req({ dc: 'dc1', k8sContext: 'dp1', replication: { ks: 1 } }))).message).toMatch(/replication \(none\)/);
    expect(usage(() => planDatacenter(kc, req())).message).toMatch(/dc2 is already used by datacenter west/);
  });
});

describe('is the cluster ready for a new datacenter', () => {
  it('ready: initialised, every datacenter Ready, no error, generation observed', () => {
    expect(clusterNotReadyReasons(cluster())).toEqual([]);
  });

  it('says why not', () => {
    expect(clusterNotReadyReasons(cluster({ status: {} }))).toEqual(['condition CassandraInitialized is not set', 'datacenter dc1 is not reporting status yet']);
    const kc = cluster({ generation: 3 });
    kc.status.datacenters.dc1 = { cassandra: { cassandraOperatorProgress: 'Updating', conditions: [{ type: 'Ready', status: 'False' }] } };
    kc.status.error = 'failed to reach dp1';
    expect(clusterNotReadyReasons(kc)).toEqual([
      'the operator has not yet reconciled generation 3 (observed 1)',
      'datacenter dc1 is Updating (condition Ready False)',
      'the operator reports: failed to reach dp1',
    ]);
    const decomm = cluster();
    decomm.status.datacenters.dc1.decommissionProgress = 'Decommissioning';
    expect(clusterNotReadyReasons(decomm)).toEqual(['datacenter dc1 is being decommissioned (Decommissioning)']);
  });

  it('a CassandraDatacenter is Ready only with progress Ready and condition Ready True', () => {
    expect(datacenterProgress(ready)).toEqual({ ready: true, state: 'Ready' });
    expect(datacenterProgress({ cassandraOperatorProgress: 'Ready' })).toEqual({ ready: false, state: 'Ready (no Ready condition)' });
    expect(datacenterProgress({ conditions: [{ type: 'Ready', status: 'True' }] }).ready).toBe(false);
    expect(datacenterProgress(undefined).ready).toBe(false);
  });
});

describe('the patch', () => {
  it('carries the resourceVersion read, appends one entry and sets the escaped annotation', () => {
    const kc = cluster({ annotations: { other: 'x' } });
    const plan = planDatacenter(kc, req({ replication: { ks1: 3 } }));
    expect(datacenterPatch(kc, plan)).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: '41' },
      { op: 'add', path: '/spec/cassandra/datacenters/-', value: plan.entry },
      { op: 'add', path: '/metadata/annotations/k8ssandra.io~1dc-replication', value: '{"dc2":{"ks1":3}}' },
    ]);
  });

  it('creates the annotations map and the datacenters list when they are missing; no annotation op without --replication', () => {
    const kc = cluster();
    delete kc.spec.cassandra.datacenters;
    const plan = planDatacenter(kc, req({ size: 1, replication: { ks1: 1 } }));
    expect(datacenterPatch(kc, plan).slice(1)).toEqual([
      { op: 'add', path: '/spec/cassandra/datacenters', value: [plan.entry] },
      { op: 'add', path: '/metadata/annotations', value: { [DC_REPLICATION_ANNOTATION]: '{"dc2":{"ks1":1}}' } },
    ]);
    expect(datacenterPatch(cluster(), planDatacenter(cluster(), req()))).toHaveLength(2);
  });

  it('lists the contexts holding datacenters, the control plane as empty', () => {
    expect(datacenterContexts(cluster({ dcs: [{ metadata: { name: 'a' }, size: 1 }, { metadata: { name: 'b' }, k8sContext: 'dp1', size: 1 }, { metadata: { name: 'c' }, k8sContext: 'dp1', size: 1 }] })))
      .toEqual(['', 'dp1']);
  });
});
