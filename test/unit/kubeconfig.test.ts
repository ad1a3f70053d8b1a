import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeconfigFiles, loadKubeconfig, resolveContexts } from '../../src/kube/kubeconfig.js';
import { CliError } from '../../src/errors.js';

function kubeconfigFile(dir: string, name: string, body: object): string {
  const f = path.join(dir, name);
  writeFileSync(f, JSON.stringify(body));
  return f;
}

const cfg = (ctx: string, server: string, current?: string, extra: object = {}) => ({
  apiVersion: 'v1', kind: 'Config', 'current-context': current,
  clusters: [{ name: `${ctx}-cluster`, cluster: { server, ...extra } }],
  users: [{ name: `${ctx}-user`, user: { token: 't' } }],
  contexts: [{ name: ctx, context: { cluster: `${ctx}-cluster`, user: `${ctx}-user` } }],
});

describe('kubeconfig resolution (kubectl rules)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-'));
  const a = kubeconfigFile(dir, 'a.yaml', cfg('alpha', 'https://a:6443', 'alpha'));
  const b = kubeconfigFile(dir, 'b.yaml', { ...cfg('beta', 'https://b:6443', 'beta'),
    // the same cluster name again: the first file's entry wins, as with kubectl
    clusters: [{ name: 'alpha-cluster', cluster: { server: 'https://other:1' } }, { name: 'beta-cluster', cluster: { server: 'https://b:6443/' } }] });

  it('merges every KUBECONFIG file; the first file wins for names and current-context', () => {
    const files = kubeconfigFiles(undefined, { KUBECONFIG: [a, path.join(dir, 'missing.yaml'), b].join(path.delimiter) });
    expect(files).toEqual([a, b]);
    const merged = loadKubeconfig(files);
    expect(merged.currentContext).toBe('alpha');
    const [alpha, beta] = resolveContexts(merged, ['alpha', 'beta']);
    expect(alpha!.server).toBe('https://a:6443');
    expect(beta!.server).toBe('https://b:6443');
  });

  it('uses the current context when none is named', () => {
    expect(resolveContexts(loadKubeconfig([b, a]), []).map((c) => c.name)).toEqual(['beta']);
  });

  it('--kubeconfig wins over KUBECONFIG and must exist', () => {
    expect(kubeconfigFiles(b, { KUBECONFIG: a })).toEqual([b]);
    expect(() => kubeconfigFiles(path.join(dir, 'nope'), {})).toThrow(/does not exist/);
  });

  it('suggests the nearest context for a typo', () => {
    const err = (() => { try { resolveContexts(loadKubeconfig([a, b]), ['alpah']); } catch (e) { return e as CliError; } })();
    expect(err).toBeInstanceOf(CliError);
    expect(err!.exit).toBe('usage');
    expect(err!.hint).toContain('did you mean "alpha"');
  });

  it('refuses an empty kubeconfig, a context named twice and a missing certificate file', () => {
    const empty = kubeconfigFile(dir, 'empty.yaml', {});
    expect(() => resolveContexts(loadKubeconfig([empty]), ['x'])).toThrow(/no contexts/);
    expect(() => resolveContexts(loadKubeconfig([a]), ['alpha', 'alpha'])).toThrow(/named twice/);
    const c = kubeconfigFile(dir, 'c.yaml', cfg('gamma', 'https://c', 'gamma', { 'certificate-authority': 'ca.crt' }));
    expect(() => resolveContexts(loadKubeconfig([c]), ['gamma'])).toThrow(/certificate-authority file .*ca.crt does not exist/);
  });

  it('makes relative paths absolute against the file that names them', () => {
    writeFileSync(path.join(dir, 'ca.crt'), 'x');
    const c = kubeconfigFile(dir, 'd.yaml', cfg('delta', 'https://d', 'delta', { 'certificate-authority': 'ca.crt' }));
    const [delta] = resolveContexts(loadKubeconfig([c]), ['delta']);
    expect((delta!.kubeconfig.clusters as any)[0].cluster['certificate-authority']).toBe(path.join(dir, 'ca.crt'));
  });

  it('reports invalid YAML as a usage error naming the file', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [\n');
    expect(() => loadKubeconfig([bad])).toThrow(/bad.yaml is not valid YAML/);
  });
});
