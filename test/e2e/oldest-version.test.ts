// A smoke test on the oldest supported Kubernetes (README "Supported Kubernetes versions"); the rest of the
// e2e suite runs on the default version. A bed of its own on v1.29.15 (cp, dp1, dp2), then the real CLI:
// install, a re-run that changes nothing, status, check (the routability probe), register --rotate.
// `up` builds the version's binaries where they are missing (a fresh machine: 10-30 minutes; .ci/run
// builds them before the tests), so this runs everywhere rather than skipping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OLDEST_TESTED_KUBERNETES } from '../../src/checks/preflight.js';
import { copyBed, type BedCopy } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra } from '../helpers/cli.js';

const VERSION = 'v1.29.15';
const NS = 'k8ssandra-operator';
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const DATA_PLANES = ['dp1', 'dp2'];
let bed: BedCopy;

const run = (...args: string[]) => k8ssandra([...args, '--contexts', CONTEXTS.join(','), '-o', 'json'], { kubeconfig: bed.kubeconfig });
const json = async (ctx: string, ...args: string[]) => JSON.parse((await bed.kubectl(ctx, ...args, '-o', 'json')).stdout);
/** The registration Secret the control plane holds for a data plane: its version and token (compared, never printed). */
async function registration(dp: string): Promise<{ resourceVersion: string; token: string }> {
  const s = await json('cp', '-n', NS, 'get', 'secret', `${dp}-kubeconfig`);
  const token = /token: (\S+)/.exec(Buffer.from(s.data.kubeconfig, 'base64').toString('utf8'))?.[1] ?? '';
  return { resourceVersion: s.metadata.resourceVersion, token };
}

describe(`the oldest supported Kubernetes, ${VERSION} (a bed of its own)`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    expect(VERSION.startsWith(`v${OLDEST_TESTED_KUBERNETES}.`), 'the bed runs the oldest version the K8S-VERSION check passes').toBe(true);
    bed = copyBed('oldest', 2_100_000);
    await bed.upSafely('--k8s-version', VERSION);
  }, 2_400_000);
  afterAll(() => bed?.remove(), 300_000);

  it('install into cp, dp1, dp2: the version passes preflight; kubectl sees the operators and the ClientConfigs', async () => {
    const r = await run('install', ...bedInstallFlags);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    expect(report.clusters.map((c: any) => [c.context, c.kubernetesVersion, c.operatorVersion, c.ready]))
      .toEqual(CONTEXTS.map((c) => [c, VERSION, 'v1.32.5', true]));
    expect(report.checks.filter((c: any) => c.id === 'K8S-VERSION').map((c: any) => [c.context, c.status]))
      .toEqual(CONTEXTS.map((c) => [c, 'pass']));
    for (const ctx of CONTEXTS) {
      for (const name of ['k8ssandra-operator', 'cass-operator-controller-manager']) {
        expect((await json(ctx, '-n', NS, 'get', 'deployment', name)).status.availableReplicas, `${ctx} ${name}`).toBe(1);
      }
    }
    const ccs = await json('cp', '-n', NS, 'get', 'clientconfigs');
    expect(ccs.items.map((c: any) => [c.metadata.name, c.spec.kubeConfigSecret.name]).sort())
      .toEqual(DATA_PLANES.map((dp) => [dp, `${dp}-kubeconfig`]));
  });

  it('a re-run changes nothing', async () => {
    const r = await run('install', ...bedInstallFlags);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    for (const c of report.clusters) expect(c.changes, c.context).toMatchObject({ created: 0, changed: 0 });
    expect(report.registrations.map((g: any) => [g.context, g.action, g.verified])).toEqual(DATA_PLANES.map((dp) => [dp, 'unchanged', true]));
    expect(report.summary).toMatch(/nothing changed/);
  });

  it('status is healthy and shows the version', async () => {
    const r = await run('status');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.json().clusters.map((c: any) => [c.context, c.kubernetesVersion, c.ready])).toEqual(CONTEXTS.map((c) => [c, VERSION, true]));
    expect(r.json().checks.filter((c: any) => c.status === 'fail')).toEqual([]);
    const text = await k8ssandra(['status', '--contexts', CONTEXTS.join(',')], { kubeconfig: bed.kubeconfig });
    expect(text.exitCode, text.stderr).toBe(0);
    for (const ctx of CONTEXTS) expect(text.stdout).toMatch(new RegExp(`^${ctx}\\s+\\S+\\s+${VERSION.replaceAll('.', '\\.')}\\s`, 'm'));
  });

  it('check: every pair of clusters reaches the other on every port', async () => {
    const r = await run('check');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    expect(report.routability.pairs).toHaveLength(24); // 6 ordered pairs x 4 ports
    expect(report.routability.pairs.filter((p: any) => !p.ok)).toEqual([]);
    expect(report.checks.filter((c: any) => c.id === 'ROUTABILITY').map((c: any) => c.status)).toEqual(['pass']);
  });

  it('register --rotate: new tokens in the registration Secrets; status stays healthy', async () => {
    const before = await Promise.all(DATA_PLANES.map(registration));
    const r = await run('register', '--rotate');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.json().registrations.map((g: any) => [g.context, g.action, g.verified])).toEqual(DATA_PLANES.map((dp) => [dp, 'changed', true]));
    const after = await Promise.all(DATA_PLANES.map(registration));
    DATA_PLANES.forEach((dp, i) => {
      expect(after[i]!.resourceVersion, dp).not.toBe(before[i]!.resourceVersion);
      expect(after[i]!.token.length, dp).toBeGreaterThan(20);
      expect(after[i]!.token === before[i]!.token, `${dp}: a new token`).toBe(false);
    });
    const st = await run('status');
    expect(st.exitCode, st.stdout + st.stderr).toBe(0);
    expect(st.json().registrations.map((g: any) => [g.clientConfig, g.verified])).toEqual(DATA_PLANES.map((dp) => [dp, true]));
  });
});
