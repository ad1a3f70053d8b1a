import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { bedKubeconfig } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, operatorManifests } from '../helpers/cli.js';

describe('k8ssandra render (GitOps)', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'render-'));
  beforeAll(async () => {
    // The kinds the rendered objects use must be served for a server-side dry run: install first.
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it('writes one folder per context without touching any cluster', async () => {
    // No kubeconfig at all: render needs no cluster.
    const r = await k8ssandra(['render', '--contexts', 'cp,dp1,dp2', '--out', out, '--manifests', operatorManifests, '-o', 'json'],
      { kubeconfig: null, env: { KUBECONFIG: '/nonexistent' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['cp', 'dp1', 'dp2']);
    expect(readdirSync(path.join(out, 'cp'))).toEqual(['10-k8ssandra-operator.yaml', '30-clientconfigs.yaml']);
    expect(readdirSync(path.join(out, 'dp1'))).toEqual(['10-k8ssandra-operator.yaml', '20-control-plane-access.yaml']);
    expect(readFileSync(path.join(out, 'cp/10-k8ssandra-operator.yaml'), 'utf8')).toMatch(/name: K8SSANDRA_CONTROL_PLANE\n\s+value: "true"/);
    expect(readFileSync(path.join(out, 'dp1/10-k8ssandra-operator.yaml'), 'utf8')).toMatch(/name: K8SSANDRA_CONTROL_PLANE\n\s+value: "false"/);
    // no Secret with a token is rendered
    for (const ctx of ['cp', 'dp1', 'dp2']) {
      for (const f of readdirSync(path.join(out, ctx))) expect(readFileSync(path.join(out, ctx, f), 'utf8')).not.toMatch(/kind: Secret\n(.|\n)*?kubeconfig:/);
    }
  });

  it('each folder is accepted by its cluster\'s server-side dry run', async () => {
    for (const ctx of ['cp', 'dp1', 'dp2']) {
      const r = await execa('kubectl', ['--kubeconfig', bedKubeconfig(), '--context', ctx, 'apply', '--server-side', '--dry-run=server',
        '--field-manager', 'k8ssandra-cli', '-f', path.join(out, ctx)], { reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/deployment.apps\/k8ssandra-operator serverside-applied \(server dry run\)/);
    }
  });
});
