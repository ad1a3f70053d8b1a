// The install record (ConfigMap k8ssandra-install): written by install in every cluster, used by re-runs
// (no release flags needed again), shown by status, removed last by uninstall. Checked with kubectl.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, certManagerManifests, k8ssandra, operatorManifests, repoRoot } from '../helpers/cli.js';
import { removeInstall } from '../helpers/uninstalled.js';

const NS = 'k8ssandra-operator';
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const toolVersion = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version as string;

describe('the install record', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    // Starts from clusters without the operator and without cert-manager: the first install installs both.
    await Promise.all(CONTEXTS.map((c) => removeInstall(c, { certManager: true })));
    const r = await k8ssandra(['install', '--contexts', CONTEXTS.join(','), ...bedInstallFlags]);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it('says in every cluster what was installed, in which mode, and from where', async () => {
    for (const ctx of CONTEXTS) {
      const cm = await kubectlJson(ctx, '-n', NS, 'get', 'configmap', 'k8ssandra-install');
      expect(cm.metadata.labels['app.kubernetes.io/managed-by']).toBe('k8ssandra-cli');
      expect(cm.data).toEqual({ tool: toolVersion, role: ctx === 'cp' ? 'control-plane' : 'data-plane', clusterScoped: 'false',
        operatorVersion: 'v1.32.5', cassOperatorVersion: 'v1.30.2', operatorSource: operatorManifests,
        certManagerVersion: 'v1.18.5', certManagerSource: certManagerManifests });
    }
  });

  it('a re-run without the release flags loads the recorded release and cert-manager and changes nothing', async () => {
    const r = await k8ssandra(['install', '--contexts', CONTEXTS.join(','), '--skip-routability', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/k8ssandra-operator v1\.32\.5 .*from .*k8ssandra-operator-v1\.32\.5 \(as recorded at install\)/);
    expect(r.stderr).toMatch(/cert-manager v1\.18\.5 from .*cert-manager-standin\.yaml \(as recorded at install\), for cp, dp1, dp2/);
    expect(r.json().summary).toMatch(/already installed as planned: nothing changed/);
  });

  it('a re-run repairs cert-manager that k8ssandra installed, from the recorded file', async () => {
    await kubectl('dp1', '-n', 'cert-manager', 'delete', 'deployment', 'cert-manager-webhook');
    const r = await k8ssandra(['install', '--contexts', CONTEXTS.join(','), '--skip-routability', '-o', 'json', '--timeout', '5m']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/could not download/);
    expect(await kubectl('dp1', '-n', 'cert-manager', 'get', 'deployment', 'cert-manager-webhook', '-o', 'name')).toBe('deployment.apps/cert-manager-webhook');
  });

  it('status shows the record', async () => {
    const r = await k8ssandra(['status', '--contexts', CONTEXTS.join(','), '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const c of r.json().clusters) {
      expect(c.installRecord).toMatchObject({ tool: toolVersion, operatorVersion: 'v1.32.5', operatorSource: operatorManifests, certManagerSource: certManagerManifests });
    }
    const text = await k8ssandra(['status', '--contexts', CONTEXTS.join(',')]);
    expect(text.stdout).toMatch(/Installed by k8ssandra:\n {2}cp: k8ssandra \S+, release v1\.32\.5 from \S+k8ssandra-operator-v1\.32\.5; cert-manager v1\.18\.5 from/);
  });

  it('uninstall needs no --manifests either, and removes the record last', async () => {
    const r = await k8ssandra(['uninstall', '--contexts', 'dp2', '--control-plane', 'cp', '--dry-run', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const dp2 = r.json().clusters.find((c: any) => c.context === 'dp2');
    const refs = dp2.objects.filter((o: any) => o.action === 'deleted').map((o: any) => o.ref);
    expect(refs).toContain(`ConfigMap/${NS}/k8ssandra-install`);
    expect(refs).toContain(`Deployment/${NS}/k8ssandra-operator`);
    expect(refs.indexOf(`ConfigMap/${NS}/k8ssandra-install`)).toBeGreaterThan(refs.indexOf(`Deployment/${NS}/k8ssandra-operator`));
    expect(await kubectl('dp2', '-n', NS, 'get', 'configmap', 'k8ssandra-install', '-o', 'name')).toBe('configmap/k8ssandra-install');
  });
});
