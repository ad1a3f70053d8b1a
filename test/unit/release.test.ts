import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOperatorRelease, renderForCluster, splitForApply } from '../../src/manifests/operator-release.js';

const upstream = path.resolve(__dirname, '../../../shared/upstream/k8ssandra-operator-v1.32.5');

describe('operator release', () => {
  it('loads the real upstream release and sets mode and namespace per cluster', async () => {
    const release = await loadOperatorRelease({ manifests: upstream });
    expect(release.version).toBe('v1.32.5');
    expect(release.cassOperatorVersion).toBe('v1.30.2');
    const objs = renderForCluster(release, 'data-plane', 'cassandra');
    expect(objs).toHaveLength(45);
    const op = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'k8ssandra-operator')!;
    expect(op.metadata.namespace).toBe('cassandra');
    expect(op.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE').value).toBe('false');
    const cp = renderForCluster(release, 'control-plane', 'cassandra').find((o) => o.metadata.name === 'k8ssandra-operator' && o.kind === 'Deployment')!;
    expect(cp.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE').value).toBe('true');
    // nothing still names the release namespace
    expect(JSON.stringify(objs)).not.toMatch(/"k8ssandra-operator\/|"namespace":"k8ssandra-operator"|\.k8ssandra-operator\.svc/);
    expect(objs.find((o) => o.kind === 'Namespace')!.metadata.name).toBe('cassandra');
    const { first, rest } = splitForApply(objs);
    expect(first.map((o) => o.kind).sort()[0]).toBe('CustomResourceDefinition');
    expect(first).toHaveLength(16);
    expect(rest).toHaveLength(29);
  });

  it('refuses manifests that are not the operator release', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rel-'));
    const f = path.join(dir, 'x.yaml');
    writeFileSync(f, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    await expect(loadOperatorRelease({ manifests: f })).rejects.toThrow(/not a k8ssandra-operator release/);
    await expect(loadOperatorRelease({ manifests: dir })).rejects.toThrow(/has no control-plane.yaml/);
  });

  it('renders the official release once and then reads it from the cache', async () => {
    process.env.K8SSANDRA_CACHE_DIR = mkdtempSync(path.join(tmpdir(), 'cache-'));
    const { readFileSync } = await import('node:fs');
    let renders = 0;
    const renderOfficial = async (variant: string) => { renders++; return readFileSync(path.join(upstream, `${variant}.yaml`), 'utf8'); };
    await loadOperatorRelease({ renderOfficial });
    await loadOperatorRelease({ renderOfficial });
    expect(renders).toBe(2); // control-plane and data-plane, once each
    delete process.env.K8SSANDRA_CACHE_DIR;
  }, 60_000); // parses the 4 MB release twice: slow on a busy machine
});
