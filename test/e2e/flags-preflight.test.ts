// The flags that steer preflight and the routability probe, for check and install: --control-plane not
// first, --operator-version compared with what runs, --skip-routability, --ports/--probe-image/--probe-timeout
// (seen on the probe pods themselves), and --skip-cert-manager on a cluster that has cert-manager and on one
// that has not. kubectl is the judge; dp2 gets its cert-manager (and data plane) back at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cut, heal } from '../../testbed/bed.js';
import { kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, certManagerManifests, k8ssandra, operatorManifests, startK8ssandra } from '../helpers/cli.js';
import { settledSnapshots, snapshot } from '../helpers/snapshot.js';

const NS = 'k8ssandra-operator';
const failedIds = (report: any) => report.checks.filter((c: any) => c.status === 'fail').map((c: any) => `${c.id} ${c.context ?? ''}`.trim());

/**
 * Polls every cluster while the check runs: the image of the probe pods, and the settings of a connector
 * pod (connectors live while they probe: a dropped pair keeps them for the whole --probe-timeout).
 */
async function probePodsWhile(done: () => boolean): Promise<{ images: Set<string>; connectorEnv?: Record<string, string> }> {
  const images = new Set<string>();
  while (!done()) {
    for (const ctx of ['cp', 'dp1']) {
      const pods = await kubectlJson(ctx, 'get', 'pods', '-A', '-l', 'k8ssandra.io/probe').catch(() => ({ items: [] }));
      for (const p of pods.items) images.add(p.spec.containers[0].image);
      const connector = pods.items.find((p: any) => p.spec.containers[0].env?.some((e: any) => e.name === 'PROBE_TIMEOUT_MS'));
      if (connector) return { images, connectorEnv: Object.fromEntries(connector.spec.containers[0].env.map((e: any) => [e.name, e.value])) };
    }
  }
  return { images };
}

describe('preflight and probe flags of check and install', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    heal();
    // An operator in another namespace (a failed run of another file) would fail every preflight here.
    await Promise.all(['cp', 'dp1', 'dp2'].map((c) => kubectl(c, 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator',
      '--field-selector', `metadata.namespace!=${NS}`, '--ignore-not-found')));
    // cp the control plane, dp1 a data plane; dp2 without cert-manager.
    const [r] = await Promise.all([
      k8ssandra(['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '-q']),
      kubectl('dp2', 'delete', '-f', certManagerManifests, '--ignore-not-found', '--wait=true', '--timeout=120s'),
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await kubectl('dp2', 'get', 'crd', 'certificates.cert-manager.io', '--ignore-not-found', '-o', 'name')).toBe('');
  });
  afterAll(async () => {
    heal();
    // dp2 as other files may expect it: cert-manager (installed by k8ssandra) and a data plane of cp.
    const r = await k8ssandra(['install', '--contexts', 'cp,dp2', ...bedInstallFlags, '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it('check --control-plane picks the control plane, whatever the order of --contexts', async () => {
    // dp1 first: without --control-plane dp1 would be the control plane, but it runs a data plane.
    const wrong = await k8ssandra(['check', '--contexts', 'dp1,cp', '--skip-routability', '-o', 'json']);
    expect(wrong.exitCode, wrong.stderr).toBe(3);
    expect(failedIds(wrong.json())).toEqual(expect.arrayContaining(['OPERATOR-EXISTING dp1', 'OPERATOR-EXISTING cp']));
    const r = await k8ssandra(['check', '--contexts', 'dp1,cp', '--control-plane', 'cp', '--skip-routability', '--timeout', '1m', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.checks.filter((c: any) => c.id === 'OPERATOR-EXISTING').map((c: any) => [c.context, c.status])).toEqual(
      expect.arrayContaining([['dp1', 'pass'], ['cp', 'pass']]));
    // --skip-routability: preflight only, no probe.
    expect(report.routability).toBeUndefined();
    expect(r.stderr).not.toMatch(/Routability between clusters/);
    expect(await kubectl('cp', 'get', 'pods', '-A', '-l', 'k8ssandra.io/probe', '-o', 'name')).toBe('');
  });

  it('check --operator-version compares the release an install would bring with the one that runs', async () => {
    const same = await k8ssandra(['check', '--contexts', 'cp,dp1', '--operator-version', 'v1.32.5', '--skip-routability', '-o', 'json']);
    expect(same.exitCode, same.stderr).toBe(0);
    const other = await k8ssandra(['check', '--contexts', 'cp,dp1', '--operator-version', 'v1.29.1', '--skip-routability', '-o', 'json']);
    expect(other.exitCode, other.stderr).toBe(3);
    const fail = other.json().checks.find((c: any) => c.id === 'OPERATOR-EXISTING' && c.context === 'cp');
    expect(fail).toMatchObject({ status: 'fail', message: expect.stringMatching(/already runs operator v1\.32\.5, not v1\.29\.1/) });
  });

  it('check --ports --probe-image --probe-timeout: the probe pods carry them, a dropped pair takes the timeout given', async () => {
    cut('cp', 'dp1'); // packets dropped: each probe of the pair waits the whole --probe-timeout
    try {
      const p = startK8ssandra(['check', '--contexts', 'cp,dp1', '--ports', '7001,9042', '--probe-image', 'registry.example/tools/busybox:1.37',
        '--probe-timeout', '6s', '-o', 'json']);
      let ended = false;
      const result = p.result.finally(() => { ended = true; });
      const seen = await probePodsWhile(() => ended);
      const r = await result;
      expect(r.exitCode, r.stderr).toBe(3);
      const report = r.json();
      expect(report.routability).toMatchObject({ ports: [7001, 9042], probeImage: 'registry.example/tools/busybox:1.37' });
      expect(report.routability.pairs.map((x: any) => `${x.from}->${x.to}:${x.port}`).sort())
        .toEqual(['cp->dp1:7001', 'cp->dp1:9042', 'dp1->cp:7001', 'dp1->cp:9042']);
      for (const pair of report.routability.pairs) {
        expect(pair).toMatchObject({ ok: false, error: 'timeout' });
        expect(pair.ms).toBeGreaterThanOrEqual(5900);
        expect(pair.ms).toBeLessThan(15_000);
      }
      // The pods themselves, as kubectl saw them while the check ran.
      expect([...seen.images]).toEqual(['registry.example/tools/busybox:1.37']);
      expect(seen.connectorEnv?.PROBE_TIMEOUT_MS, 'a connector pod seen while the check ran').toBe('6000');
    } finally {
      heal();
    }
  });

  it('install probes with --ports --probe-image --probe-timeout (no --skip-routability)', async () => {
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1', '--manifests', operatorManifests, '--cert-manager-manifests', certManagerManifests, '--yes',
      '--ports', '7000', '--probe-image', 'registry.example/tools/busybox:1.37', '--probe-timeout', '1s', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.routability).toMatchObject({ ports: [7000], probeImage: 'registry.example/tools/busybox:1.37' });
    expect(report.routability.pairs).toHaveLength(2);
    expect(report.checks.find((c: any) => c.id === 'ROUTABILITY')).toMatchObject({ status: 'pass' });
  });

  it('--skip-cert-manager where k8ssandra installed cert-manager: install leaves it alone (no re-apply)', async () => {
    const plain = await k8ssandra(['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '-o', 'json']);
    expect(plain.exitCode, plain.stderr).toBe(0);
    const certManagerObjects = (report: any) => report.clusters.flatMap((c: any) => c.objects.filter((o: any) => /\/cert-manager\//.test(o.ref)));
    // cert-manager that k8ssandra installed is applied again on every run...
    expect(certManagerObjects(plain.json()).length).toBeGreaterThan(0);
    // ...but never with --skip-cert-manager.
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--skip-cert-manager', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(certManagerObjects(r.json())).toEqual([]);
    expect(r.json().checks.filter((c: any) => c.id === 'CERT-MANAGER').map((c: any) => c.status)).toEqual(['pass', 'pass']);
  });

  it('--skip-cert-manager where cert-manager is missing: check and install fail CERT-MANAGER, and nothing is installed', async () => {
    // Without the flag, a missing cert-manager is fine: it will be installed.
    const fine = await k8ssandra(['check', '--contexts', 'cp,dp2', '--skip-routability', '-o', 'json']);
    expect(fine.json().checks.find((c: any) => c.id === 'CERT-MANAGER' && c.context === 'dp2'))
      .toMatchObject({ status: 'pass', message: expect.stringMatching(/missing and will be installed/) });

    const check = await k8ssandra(['check', '--contexts', 'cp,dp2', '--skip-cert-manager', '--skip-routability', '-o', 'json']);
    expect(check.exitCode, check.stderr).toBe(3);
    expect(failedIds(check.json())).toEqual(['CERT-MANAGER dp2']);
    expect(check.json().checks.find((c: any) => c.id === 'CERT-MANAGER' && c.context === 'dp2').hint).toMatch(/drop --skip-cert-manager/);

    const before = await settledSnapshots(['cp', 'dp2']);
    const r = await k8ssandra(['install', '--contexts', 'cp,dp2', ...bedInstallFlags, '--skip-cert-manager', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(failedIds(r.json())).toContain('CERT-MANAGER dp2');
    expect(await Promise.all([snapshot('cp'), snapshot('dp2')])).toEqual(before);
    expect(await kubectl('dp2', 'get', 'namespace', 'cert-manager', '--ignore-not-found', '-o', 'name')).toBe('');
  });
});
