// `upgrade` on the test bed: v1.29.1 installed into cp, dp1, dp2 (the real upstream releases), then the
// plan (--dry-run), the upgrade to v1.32.5 checked with kubectl (images, the ConfigMap v1.32.5 no longer
// has, the Certificate it adds, registration Secrets untouched), status, a second upgrade that changes
// nothing, a refused downgrade, and upgrades killed at each stage that converge on a re-run.
import { beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlJson } from '../helpers/bed.js';
import { certManagerManifests, k8ssandra, startK8ssandra } from '../helpers/cli.js';
import { CONTEXTS, expectAt, installV1291, NS, secretVersions, V1291, V1325 } from '../helpers/upgrade.js';

const upgrade = (...args: string[]) => k8ssandra(['upgrade', '--contexts', 'cp,dp1,dp2', '--yes', '-o', 'json', ...args]);
const startUpgrade = (...args: string[]) => startK8ssandra(['upgrade', '--contexts', 'cp,dp1,dp2', '--yes', '-o', 'json', ...args]);

describe('k8ssandra upgrade from v1.29.1 to v1.32.5', { timeout: 900_000 }, () => {
  beforeAll(installV1291);

  it('--dry-run prints the plan per cluster (the ConfigMap removed, the Certificate added) and changes nothing', async () => {
    const r = await upgrade('--manifests', V1325, '--dry-run');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.summary).toMatch(/^dry run: would upgrade cp, dp1, dp2 from v1\.29\.1 to v1\.32\.5/);
    for (const ctx of CONTEXTS) {
      const plan = report.upgrade.clusters.find((c: any) => c.context === ctx);
      expect(plan).toMatchObject({ from: { operator: 'v1.29.1' }, to: { operator: 'v1.32.5' }, direction: 'upgrade' });
      expect(plan.removed).toContain(`ConfigMap/${NS}/cass-operator-manager-config`);
      expect(plan.added).toContain(`Certificate/${NS}/cass-operator-metrics-certs`);
      expect(plan.changed.map((c: any) => c.ref)).toContain(`Deployment/${NS}/k8ssandra-operator`);
      // The clusters' counts (the table) are the plan's, with the Kubernetes version read from the cluster.
      const cluster = report.clusters.find((c: any) => c.context === ctx);
      expect(cluster.changes).toMatchObject({ created: plan.added.length, changed: plan.changed.length, unchanged: plan.unchanged, deleted: plan.removed.length });
      expect(cluster.kubernetesVersion).toMatch(/^v1\.\d+\.\d+/);
    }
    await expectAt('v1.29.1');
  });

  it('upgrades every cluster; registrations untouched; status healthy', async () => {
    const before = await secretVersions();
    const r = await upgrade('--manifests', V1325);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().summary).toMatch(/^upgraded cp, dp1, dp2 from v1\.29\.1 to v1\.32\.5/);
    // CRDs everywhere first, then the data planes, then the control plane.
    expect(r.stderr.indexOf('Upgrade the CRDs')).toBeLessThan(r.stderr.indexOf('Upgrade the data planes'));
    expect(r.stderr.indexOf('Upgrade the data planes')).toBeLessThan(r.stderr.indexOf('Upgrade the control plane'));
    await expectAt('v1.32.5');
    expect(await secretVersions()).toEqual(before);
    expect(r.json().registrations.every((g: any) => g.verified && g.action === 'unchanged')).toBe(true);
    const s = await k8ssandra(['status', '--contexts', CONTEXTS.join(','), '-o', 'json']);
    expect(s.exitCode, s.stdout).toBe(0);
  });

  it('a second upgrade changes nothing (the release by version: the one the install records name)', async () => {
    const r = await upgrade('--operator-version', 'v1.32.5', '--control-plane', 'cp', '--namespace', NS, '--timeout', '10m');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().summary).toBe('every cluster already runs k8ssandra-operator v1.32.5: nothing to upgrade');
    expect(r.json().clusters.every((c: any) => c.changes.created + c.changes.changed === 0)).toBe(true);
  });

  it('a downgrade is refused (exit 3, UPGRADE-DIRECTION) and changes nothing', async () => {
    const r = await upgrade('--manifests', V1291);
    expect(r.exitCode, r.stderr).toBe(3);
    const bad = r.json().checks.filter((c: any) => c.id === 'UPGRADE-DIRECTION' && c.status === 'fail');
    expect(bad.map((c: any) => c.context).sort()).toEqual(CONTEXTS);
    expect(bad[0].message).toMatch(/older than the installed v1\.32\.5/);
    await expectAt('v1.32.5');
  });

  it.each([
    ['the CRDs', /Upgrade the CRDs/],
    ['the data planes', /Upgrade the data planes/],
    ['the control plane', /Upgrade the control plane/],
  ])('killed while upgrading %s, a re-run converges', async (_what, stageLine) => {
    // Back to v1.29.1 (--force: a downgrade on purpose), then an upgrade killed when the stage starts.
    const down = await upgrade('--manifests', V1291, '--force');
    expect(down.exitCode, down.stderr).toBe(0);
    await expectAt('v1.29.1');
    const p = startUpgrade('--manifests', V1325);
    await p.waitForStderr(stageLine);
    p.kill('SIGKILL');
    await p.result;
    // Until it is done, status says an upgrade is under way rather than reporting version skew.
    const s = await k8ssandra(['status', '--contexts', CONTEXTS.join(','), '-o', 'json']);
    const skew = s.json().checks.filter((c: any) => c.id === 'STATUS-VERSION-SKEW');
    expect(skew.filter((c: any) => c.status === 'fail'), JSON.stringify(skew)).toEqual([]);
    // Every cluster whose record was marked says where it is going (the kill came after the marks).
    expect(s.json().clusters.filter((c: any) => c.installRecord?.upgradingTo === 'v1.32.5').length).toBeGreaterThan(0);
    if (new Set(s.json().clusters.map((c: any) => c.operatorVersion)).size > 1) {
      expect(skew.map((c: any) => c.message).join('\n')).toMatch(/upgrading from v1\.29\.1 to v1\.32\.5/);
    }
    const again = await upgrade('--manifests', V1325);
    expect(again.exitCode, again.stderr).toBe(0);
    await expectAt('v1.32.5');
  });

  it('an operator Helm installed is named by install, upgrade and status, and left alone without --force', async () => {
    const deployment = await kubectlJson('dp2', '-n', NS, 'get', 'deployment', 'k8ssandra-operator');
    const label = deployment.metadata.labels?.['app.kubernetes.io/managed-by'];
    await kubectl('dp2', '-n', NS, 'label', 'deployment', 'k8ssandra-operator', 'app.kubernetes.io/managed-by=Helm', '--overwrite');
    await kubectl('dp2', '-n', NS, 'annotate', 'deployment', 'k8ssandra-operator', 'meta.helm.sh/release-name=k8ssandra-operator',
      `meta.helm.sh/release-namespace=${NS}`, '--overwrite');
    try {
      const owner = (r: { json: () => any }) => r.json().checks.find((c: any) => c.id === 'OPERATOR-OWNER' && c.context === 'dp2');
      const install = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', '--manifests', V1325, '--cert-manager-manifests', certManagerManifests,
        '--skip-routability', '--yes', '-o', 'json']);
      expect(install.exitCode, install.stderr).toBe(3);
      expect(owner(install)).toMatchObject({ status: 'fail', message: expect.stringMatching(/installed by Helm release k8ssandra-operator in namespace k8ssandra-operator/) });
      expect(owner(install).hint).toMatch(/helm upgrade k8ssandra-operator -n k8ssandra-operator/);
      const up = await upgrade('--manifests', V1325);
      expect(up.exitCode, up.stderr).toBe(3);
      expect(owner(up)).toMatchObject({ status: 'fail' });
      const s = await k8ssandra(['status', '--contexts', 'cp,dp1,dp2', '-o', 'json']);
      expect(owner(s)).toMatchObject({ status: 'warn', message: expect.stringMatching(/installed by Helm/) });
      // Left alone: still Helm's.
      expect((await kubectlJson('dp2', '-n', NS, 'get', 'deployment', 'k8ssandra-operator')).metadata.labels['app.kubernetes.io/managed-by']).toBe('Helm');
    } finally {
      await kubectl('dp2', '-n', NS, 'label', 'deployment', 'k8ssandra-operator', label ? `app.kubernetes.io/managed-by=${label}` : 'app.kubernetes.io/managed-by-', '--overwrite');
      await kubectl('dp2', '-n', NS, 'annotate', 'deployment', 'k8ssandra-operator', 'meta.helm.sh/release-name-', 'meta.helm.sh/release-namespace-');
    }
  });
});
