// install, register and uninstall in a namespace other than the default, with the control plane not the
// first context, the API server address overridden for one data plane, bounded token lifetimes, token
// rotation, --no-wait, and dry runs of each command that change nothing (kubectl snapshots before and after).
// The release comes from --operator-version and a cache seeded with the upstream files (no --manifests).
// kubectl is the independent judge; the file uninstalls what it installed and deletes its namespace.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bedKubeconfig, kubectl, kubectlJson, waitFor } from '../helpers/bed.js';
import { k8ssandra, operatorManifests, startK8ssandraOnTerminal } from '../helpers/cli.js';
import { seededReleaseCache } from '../helpers/release-cache.js';
import { settledSnapshots, snapshot } from '../helpers/snapshot.js';

const ALT = 'k8ssandra-alt';
const ALL = ['cp', 'dp1', 'dp2'];
const DEPLOYMENTS = ['k8ssandra-operator', 'cass-operator-controller-manager'];

const cache = seededReleaseCache();
const run = (args: string[]) => k8ssandra(args, { env: { K8SSANDRA_CACHE_DIR: cache } });

/** The data plane's API server as the bed's kubeconfig names it, and the same server by another name. */
function servers(ctx: string): { bed: string; other: string } {
  const kc = parse(readFileSync(bedKubeconfig(), 'utf8'));
  const clusterName = kc.contexts.find((c: any) => c.name === ctx).context.cluster;
  const bed = kc.clusters.find((c: any) => c.name === clusterName).cluster.server as string;
  return { bed, other: bed.replace('127.0.0.1', 'localhost') };
}

/** The kubeconfig the CLI stored in cp for a data plane: its server, and its token's claims. */
async function stored(dp: string) {
  const secret = await kubectlJson('cp', '-n', ALT, 'get', 'secret', `${dp}-kubeconfig`);
  const kc = parse(Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8'));
  const token = kc.users[0].user.token as string;
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  return { server: kc.clusters[0].cluster.server as string, token, lifetime: claims.exp - claims.iat, subject: claims.sub as string };
}

/** Other files install into the default namespace: an operator there fails this install's preflight. */
async function removeOperatorDeployments(): Promise<void> {
  await Promise.all(ALL.map((c) => kubectl(c, 'delete', 'deployment', '-A', '-l', 'control-plane=k8ssandra-operator', '--ignore-not-found', '--wait=true')));
}

async function operatorsAvailable(): Promise<void> {
  await Promise.all(ALL.map((c) => kubectl(c, '-n', ALT, 'wait', '--for=condition=Available', '--timeout=120s', ...DEPLOYMENTS.map((d) => `deployment/${d}`))));
}

const snapshots = () => Promise.all(ALL.map(snapshot));

describe(`install, register and uninstall in namespace ${ALT}, control plane cp not first`, { timeout: 300_000 }, () => {
  const dp1 = servers('dp1');
  const dp2 = servers('dp2');
  const installArgs = ['install', '--contexts', 'dp1,cp,dp2', '--control-plane', 'cp', '--namespace', ALT, '--operator-version', 'v1.32.5',
    '--api-server', `dp1=${dp1.other}`, '--skip-routability', '--yes'];

  beforeAll(async () => {
    await removeOperatorDeployments();
  });
  afterAll(async () => {
    // Whatever a failed test left: the release in ALT goes, then the namespace itself.
    await run(['uninstall', '--contexts', ALL.join(','), '-n', ALT, '--manifests', operatorManifests, '--yes', '-q']);
    await Promise.all(ALL.map((c) => kubectl(c, 'delete', 'namespace', ALT, '--ignore-not-found', '--wait=false')));
  });

  it('--dry-run where the namespace holds nothing plans it all and creates nothing', async () => {
    const before = await settledSnapshots(ALL);
    const r = await run([...installArgs, '--token-ttl', '2h', '--dry-run', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().clusters.map((c: any) => [c.context, c.role, c.namespace])).toEqual(
      [['dp1', 'data-plane', ALT], ['cp', 'control-plane', ALT], ['dp2', 'data-plane', ALT]]);
    expect(await snapshots()).toEqual(before);
    for (const c of ALL) expect(await kubectl(c, 'get', 'namespace', ALT, '--ignore-not-found', '-o', 'name'), c).toBe('');
  });

  it('installs everything into the namespace given, cp as control plane, without waiting (--no-wait)', async () => {
    // The default namespace, as other files may have left it: nothing there may change.
    const inDefault = (snap: Record<string, string>) => Object.entries(snap).filter(([k]) => k.split('/')[1] === 'k8ssandra-operator');
    const defaultBefore = (await Promise.all(ALL.map(snapshot))).map(inDefault);
    const r = await run([...installArgs, '--token-ttl', '2h', '--no-wait', '-o', 'json']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const report = r.json();
    // Not waited for: no readiness claimed, no OPERATOR-READY check, no wait step.
    expect(report.clusters.map((c: any) => c.ready)).toEqual([false, false, false]);
    expect(report.checks.filter((c: any) => c.id === 'OPERATOR-READY')).toEqual([]);
    expect(r.stderr).not.toMatch(/Wait for the operators/);
    // The release came from --operator-version (the cache), not from --manifests.
    expect(r.stderr).toMatch(new RegExp(`k8ssandra-operator v1\\.32\\.5 .*from k8ssandra-operator v1\\.32\\.5 \\(cached in ${cache}`));

    for (const c of ALL) {
      for (const d of DEPLOYMENTS) expect(await kubectl(c, '-n', ALT, 'get', 'deployment', d, '-o', 'name'), `${c} ${d}`).toBe(`deployment.apps/${d}`);
      const d = await kubectlJson(c, '-n', ALT, 'get', 'deployment', 'k8ssandra-operator');
      const env = d.spec.template.spec.containers[0].env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE');
      expect(env.value, c).toBe(c === 'cp' ? 'true' : 'false');
      // Every place of the release that names its namespace was moved: RBAC subjects, webhooks, certificates.
      const crb = await kubectlJson(c, 'get', 'clusterrolebinding', 'cass-operator-manager-res-rolebinding');
      expect(crb.subjects.map((s: any) => s.namespace), c).toEqual([ALT]);
      const webhook = await kubectlJson(c, 'get', 'validatingwebhookconfiguration', 'k8ssandra-operator-validating-webhook-configuration');
      expect(new Set(webhook.webhooks.map((w: any) => w.clientConfig.service.namespace)), c).toEqual(new Set([ALT]));
      expect(webhook.metadata.annotations['cert-manager.io/inject-ca-from'], c).toMatch(new RegExp(`^${ALT}/`));
      const cert = await kubectlJson(c, '-n', ALT, 'get', 'certificate.cert-manager.io', 'k8ssandra-operator-serving-cert');
      expect(cert.spec.dnsNames.every((n: string) => n.includes(`.${ALT}.svc`)), c).toBe(true);
    }
    expect((await Promise.all(ALL.map(snapshot))).map(inDefault)).toEqual(defaultBefore);
    // The registrations: ClientConfigs and Secrets in cp's ALT, the control plane's account and RoleBinding in each data plane's ALT.
    const ccs = await kubectlJson('cp', '-n', ALT, 'get', 'clientconfigs');
    expect(ccs.items.map((c: any) => [c.metadata.name, c.spec.contextName, c.spec.kubeConfigSecret.name]).sort())
      .toEqual([['dp1', 'dp1', 'dp1-kubeconfig'], ['dp2', 'dp2', 'dp2-kubeconfig']]);
    for (const dp of ['dp1', 'dp2']) {
      const rb = await kubectlJson(dp, '-n', ALT, 'get', 'rolebinding', 'k8ssandra-control-plane');
      expect(rb.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'k8ssandra-control-plane', namespace: ALT })]);
      expect(rb.roleRef).toMatchObject({ kind: 'Role', name: 'k8ssandra-operator' });
      const s = await stored(dp);
      expect(s.subject).toBe(`system:serviceaccount:${ALT}:k8ssandra-control-plane`);
      expect(s.lifetime, `${dp}: --token-ttl 2h`).toBe(2 * 3600);
    }
    // --api-server dp1=...: the control plane reaches dp1 at the address given; dp2 keeps the kubeconfig's.
    expect((await stored('dp1')).server).toBe(dp1.other);
    expect((await stored('dp2')).server).toBe(dp2.bed);
    expect(report.registrations.map((g: any) => [g.context, g.server, g.verified])).toEqual([['dp1', dp1.other, true], ['dp2', dp2.bed, true]]);
    expect(report.registrations.every((g: any) => Math.abs(Date.parse(g.tokenExpiresAt) - Date.now() - 2 * 3600_000) < 120_000)).toBe(true);
    await operatorsAvailable();
  });

  it('install --dry-run --rotate-tokens on the installed clusters writes nothing', async () => {
    const before = await settledSnapshots(ALL);
    const r = await run([...installArgs, '--rotate-tokens', '--token-ttl', '3h', '--dry-run', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().dryRun).toBe(true);
    expect(await snapshots()).toEqual(before);
  });

  it('--rotate-tokens mints fresh tokens of the new --token-ttl, and waits for the operators this time', async () => {
    const old = { dp1: await stored('dp1'), dp2: await stored('dp2') };
    const r = await run([...installArgs, '--rotate-tokens', '--token-ttl', '3h', '-o', 'text']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dp1/); // the text report, on stdout
    expect(() => JSON.parse(r.stdout)).toThrow();
    expect(r.stderr).toMatch(/Wait for the operators/);
    for (const dp of ['dp1', 'dp2'] as const) {
      const now = await stored(dp);
      expect(now.token, dp).not.toBe(old[dp].token);
      expect(now.lifetime, dp).toBe(3 * 3600);
    }
    // Without --rotate-tokens, working tokens are kept.
    const again = await run([...installArgs, '--token-ttl', '3h', '-o', 'json']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json().registrations.map((g: any) => g.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('register --dry-run --rotate (control plane not first) writes nothing', async () => {
    const before = await settledSnapshots(ALL);
    const r = await run(['register', '--contexts', 'dp2,cp,dp1', '--control-plane', 'cp', '--namespace', ALT, '--api-server', `dp1=${dp1.other}`,
      '--rotate', '--token-ttl', '1h', '--dry-run', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ command: 'register', dryRun: true, ok: true });
    expect(await snapshots()).toEqual(before);
  });

  it('register --rotate --token-ttl 1h (with --force, --no-wait, --timeout) rotates in the namespace given', async () => {
    const old = { dp1: await stored('dp1'), dp2: await stored('dp2') };
    const r = await run(['register', '--contexts', 'dp2,cp,dp1', '--control-plane', 'cp', '-n', ALT, '--api-server', `dp1=${dp1.other}`,
      '--rotate', '--token-ttl', '1h', '--force', '--no-wait', '--timeout', '2m', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.registrations.map((g: any) => [g.context, g.verified, g.serviceAccount])).toEqual(
      [['dp2', true, `${ALT}/k8ssandra-control-plane`], ['dp1', true, `${ALT}/k8ssandra-control-plane`]]);
    expect(report.checks.filter((c: any) => c.id === 'OPERATOR-READY')).toEqual([]);
    for (const dp of ['dp1', 'dp2'] as const) {
      const now = await stored(dp);
      expect(now.token, dp).not.toBe(old[dp].token);
      expect(now.lifetime, dp).toBe(3600);
    }
    expect((await stored('dp1')).server).toBe(dp1.other);
    await operatorsAvailable();
  });

  it('uninstall --no-input on a terminal does not ask: it refuses without --yes and deletes nothing', async () => {
    const before = await settledSnapshots(ALL);
    const p = startK8ssandraOnTerminal(['--no-input', 'uninstall', '--contexts', 'dp2', '--control-plane', 'cp', '-n', ALT, '--manifests', operatorManifests]);
    const r = await p.result;
    expect(r.exitCode, r.output).toBe(2);
    expect(r.output).toMatch(/needs confirmation: pass --yes/);
    expect(r.output).not.toMatch(/\(y\/N\)/);
    expect(await snapshots()).toEqual(before);
  });

  it('uninstall --dry-run in the namespace lists the release and registrations, and writes nothing', async () => {
    const before = await settledSnapshots(ALL);
    const r = await run(['uninstall', '--contexts', 'cp,dp1,dp2', '--namespace', ALT, '--operator-version', 'v1.32.5', '--dry-run', '-o', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    const cp = report.clusters.find((c: any) => c.context === 'cp');
    expect(cp.objects.find((o: any) => o.ref === `Deployment/${ALT}/k8ssandra-operator`)?.action).toBe('deleted');
    expect(cp.objects.find((o: any) => o.ref === `ClientConfig/${ALT}/dp1`)?.action).toBe('deleted');
    expect(report.registrations.map((g: any) => [g.context, g.action])).toEqual([['dp1', 'deleted'], ['dp2', 'deleted']]);
    expect(await snapshots()).toEqual(before);
  });

  it('uninstall one data plane with --no-wait, then the rest with --timeout: the namespace holds nothing of ours', async () => {
    const one = await run(['uninstall', '--contexts', 'dp2', '--control-plane', 'cp', '-n', ALT, '--operator-version', 'v1.32.5', '--yes', '--no-wait', '-o', 'json']);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(one.stderr).not.toMatch(/Wait until the deleted objects are gone/);
    await waitFor('dp2 operator gone', async () => (await kubectl('dp2', '-n', ALT, 'get', 'deployments', '-o', 'name')) === '' ? true : undefined, 60_000);
    expect(await kubectl('cp', '-n', ALT, 'get', 'clientconfigs', '-o', 'name')).toBe('clientconfig.config.k8ssandra.io/dp1');

    const rest = await run(['uninstall', '--contexts', 'cp,dp1', '-n', ALT, '--operator-version', 'v1.32.5', '--yes', '--timeout', '3m', '-o', 'json']);
    expect(rest.exitCode, rest.stderr).toBe(0);
    expect(rest.stderr).toMatch(/Wait until the deleted objects are gone/);
    for (const c of ALL) {
      expect(await kubectl(c, '-n', ALT, 'get', 'deployments,serviceaccounts,roles,rolebindings', '-l', 'app.kubernetes.io/managed-by=k8ssandra-cli', '-o', 'name'), c).toBe('');
      expect(await kubectl(c, '-n', ALT, 'get', 'deployments', '-o', 'name'), c).toBe('');
    }
    expect(await kubectl('cp', '-n', ALT, 'get', 'clientconfigs,secrets', '-l', 'app.kubernetes.io/managed-by=k8ssandra-cli', '-o', 'name')).toBe('');
    expect(await kubectl('dp1', '-n', ALT, 'get', 'rolebinding', 'k8ssandra-control-plane', '--ignore-not-found', '-o', 'name')).toBe('');
  });
});
