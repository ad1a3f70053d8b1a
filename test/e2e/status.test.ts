import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status as bedStatus, up as bedUp } from '../../testbed/bed.js';
import { clusterPids } from '../../testbed/kwokctl.js';
import { apply, bedKubeconfig, kubectl, kubectlJson, unlessNoSuchType, waitFor } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, repoRoot } from '../helpers/cli.js';

// The test plays the control-plane operator and cass-operator (none runs in the bed): it creates a
// K8ssandraCluster in cp with dc1 in dp1 and dc2 in dp2, the CassandraDatacenters and their StatefulSets
// in dp1/dp2, and writes the datacenters' status through the status subresource.
const NS = 'k8ssandra-operator';
const KC = 'status-e2e';
const DCS = [{ name: 'dc1', context: 'dp1', size: 2 }, { name: 'dc2', context: 'dp2', size: 1 }];
const CONTEXTS = ['cp', 'dp1', 'dp2'];

const status = (...args: string[]) => k8ssandra(['status', ...args]);
const byId = (report: any, id: string) => report.checks.filter((c: any) => c.id === id);
const failed = (report: any) => report.checks.filter((c: any) => c.status === 'fail').map((c: any) => [c.id, c.context]);
const cluster = (report: any, context: string) => report.clusters.find((c: any) => c.context === context);

function k8ssandraCluster() {
  return { apiVersion: 'k8ssandra.io/v1alpha1', kind: 'K8ssandraCluster', metadata: { name: KC, namespace: NS },
    spec: { cassandra: { serverVersion: '4.1.5', datacenters: DCS.map((d) => ({ metadata: { name: d.name }, k8sContext: d.context, size: d.size })) } } };
}

/** What cass-operator would create in a data plane: the CassandraDatacenter and a StatefulSet it owns (kwok runs its pods). */
async function createDatacenter(d: (typeof DCS)[number]) {
  await apply(d.context, { apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', metadata: { name: d.name, namespace: NS },
    spec: { clusterName: KC, serverType: 'cassandra', serverVersion: '4.1.5', size: d.size,
      storageConfig: { cassandraDataVolumeClaimSpec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } });
  const uid = (await kubectlJson(d.context, '-n', NS, 'get', 'cassandradatacenter', d.name)).metadata.uid;
  const labels = { app: `${KC}-${d.name}`, 'cassandra.datastax.com/datacenter': d.name };
  await apply(d.context, { apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: `${KC}-${d.name}-default-sts`, namespace: NS, labels,
      ownerReferences: [{ apiVersion: 'cassandra.datastax.com/v1beta1', kind: 'CassandraDatacenter', name: d.name, uid, controller: true }] },
    spec: { replicas: d.size, serviceName: `${KC}-${d.name}-service`, selector: { matchLabels: { app: labels.app } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'cassandra', image: 'k8ssandra/cass-management-api:4.1.5' }] } } } });
  await waitFor(`${d.name} pods ready in ${d.context}`, async () =>
    (await kubectlJson(d.context, '-n', NS, 'get', 'statefulset', `${KC}-${d.name}-default-sts`)).status?.readyReplicas === d.size ? true : undefined, 60_000);
}

async function setProgress(d: (typeof DCS)[number], progress: 'Ready' | 'Updating', ready: boolean) {
  const status = { cassandraOperatorProgress: progress,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'e2e', message: '', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] };
  await kubectl(d.context, '-n', NS, 'patch', 'cassandradatacenter', d.name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
}

async function removeDatacenters() {
  // On a fresh bed the CRDs do not exist yet: nothing to remove then.
  // Every K8ssandraCluster, not only ours: another file's leftovers would make the baseline unhealthy.
  await kubectl('cp', '-n', NS, 'delete', 'k8ssandraclusters', '--all', '--ignore-not-found').catch(unlessNoSuchType);
  for (const d of DCS) {
    await kubectl(d.context, '-n', NS, 'delete', 'statefulset', `${KC}-${d.name}-default-sts`, '--ignore-not-found');
    await kubectl(d.context, '-n', NS, 'delete', 'cassandradatacenter', d.name, '--ignore-not-found').catch(unlessNoSuchType);
  }
}

const install = (...extra: string[]) => k8ssandra(['install', '--contexts', CONTEXTS.join(','), ...bedInstallFlags, '-q', '--timeout', '3m', ...extra]);

/** `status --watch -o json` as a child process whose progress (stderr) can be followed while it runs. */
function startWatch() {
  const proc = execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), '--kubeconfig', bedKubeconfig(), 'status', '--watch', '--interval', '1s', '-o', 'json'],
    { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore', timeout: 120_000 });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const untilNotHealthy = () => waitFor('a round to say it is not healthy', async () => (/not healthy yet/.test(stderr) ? true : undefined), 60_000);
  return { proc, stderr: () => stderr, untilNotHealthy };
}

/** Waits (with the CLI's own --watch) until status says healthy again. */
async function expectHealthyAgain() {
  const r = await status('--watch', '--interval', '1s', '-o', 'json');
  expect(r.exitCode, r.stdout.slice(-2000) + r.stderr.slice(-2000)).toBe(0);
}

describe('k8ssandra status on the test bed (cp, dp1, dp2)', () => {
  let baseline: Record<string, number>;

  beforeAll(async () => {
    await removeDatacenters();
    // Fresh tokens of the default lifetime: another file may have left short-lived ones (register
    // --token-ttl 1h), which a re-run keeps on purpose, and which status rightly warns about.
    const r = await install('--rotate-tokens');
    expect(r.exitCode, r.stderr).toBe(0);
    // Requests per cluster with no K8ssandraCluster at all: the bound the runs below must keep.
    const b = await status('-o', 'json');
    expect(b.exitCode, b.stdout).toBe(0);
    baseline = Object.fromEntries(b.json().clusters.map((c: any) => [c.context, c.requests]));
    await apply('cp', k8ssandraCluster());
    for (const d of DCS) {
      await createDatacenter(d);
      await setProgress(d, 'Ready', true);
    }
  });

  afterAll(async () => {
    await removeDatacenters();
  });

  it('reports a healthy installation as healthy: exit 0, the table, the tree, one JSON document', async () => {
    const r = await status('-o', 'json');
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = r.json();
    expect(report).toMatchObject({ schemaVersion: 'k8ssandra.io/report/v1', command: 'status', ok: true, exitCode: 0 });
    expect(report.clusters.map((c: any) => [c.context, c.role, c.reachable, c.ready, c.operatorVersion, c.cassOperatorVersion, c.certManager])).toEqual([
      ['cp', 'control-plane', true, true, 'v1.32.5', 'v1.30.2', 'present'],
      ['dp1', 'data-plane', true, true, 'v1.32.5', 'v1.30.2', 'present'],
      ['dp2', 'data-plane', true, true, 'v1.32.5', 'v1.30.2', 'present']]);
    expect(report.registrations.map((g: any) => [g.clientConfig, g.userContext, g.verified, g.used, g.serviceAccount])).toEqual([
      ['dp1', 'dp1', true, true, `${NS}/k8ssandra-control-plane`], ['dp2', 'dp2', true, true, `${NS}/k8ssandra-control-plane`]]);
    expect(Date.parse(report.registrations[0].tokenExpiresAt)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(report.k8ssandraClusters).toEqual([{ name: KC, namespace: NS, controlPlane: 'cp', ready: true, datacenters: [
      { name: 'dc1', k8sContext: 'dp1', context: 'dp1', size: 2, readyNodes: 2, progress: 'Ready', ready: true },
      { name: 'dc2', k8sContext: 'dp2', context: 'dp2', size: 1, readyNodes: 1, progress: 'Ready', ready: true }] }]);
    expect(report.checks.filter((c: any) => c.status !== 'pass')).toEqual([]);
    // List calls only: the K8ssandraCluster, datacenters and StatefulSets cost no extra request.
    expect(Object.fromEntries(report.clusters.map((c: any) => [c.context, c.requests]))).toEqual(baseline);
    expect(report.requests).toBe(Object.values(baseline).reduce((a, b) => a + b, 0) + 2); // + one access review per ClientConfig
    // The tokens the control plane holds never appear.
    for (const dp of ['dp1', 'dp2']) {
      const secret = await kubectlJson('cp', '-n', NS, 'get', 'secret', `${dp}-kubeconfig`);
      const token = parse(Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8')).users[0].user.token as string;
      expect(r.stdout + r.stderr).not.toContain(token);
    }

    const text = await status('--contexts', 'cp,dp1,dp2');
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^CONTEXT\s+ROLE\s+KUBERNETES\s+OPERATOR\s+CASS-OPERATOR\s+CERT-MANAGER\s+READY\s*\ncp\s+control-plane\s+v1\.34\.4\s+v1\.32\.5\s+v1\.30\.2\s+present\s+yes/);
    expect(text.stdout).toMatch(/dp1 -> dp1\s+credentials work, token expires \d{4}-\d\d-\d\d\n/);
    expect(text.stdout).toContain(`  ${NS}/${KC} (control plane cp): ready\n    ├─ dc1  dp1  Ready  2/2 nodes ready\n    └─ dc2  dp2  Ready  1/1 nodes ready\n`);
    expect(text.stdout).toMatch(/✓ healthy: 3 cluster\(s\), 1 K8ssandraCluster\(s\), 2\/2 datacenter\(s\) ready\n\(\d+\.\ds, \d+ API requests\)$/);
    expect(text.stderr).toMatch(/Ask every cluster/); // progress on stderr, data on stdout
  });

  it('a datacenter that is updating: exit 5 with the datacenter named; --watch returns once it is Ready', async () => {
    const dc2 = DCS[1]!;
    await setProgress(dc2, 'Updating', false);
    try {
      const r = await status('-o', 'json');
      expect(r.exitCode).toBe(5);
      const report = r.json();
      expect(failed(report)).toEqual([['STATUS-DC-NOT-READY', 'dp2']]);
      expect(byId(report, 'STATUS-DC-NOT-READY').find((c: any) => c.status === 'fail').message)
        .toBe(`${NS}/${KC} dc dc2 in dp2: Updating, condition Ready not True, 1/1 nodes ready`);
      expect(report.k8ssandraClusters[0].datacenters.map((d: any) => [d.name, d.progress, d.ready])).toEqual([['dc1', 'Ready', true], ['dc2', 'Updating', false]]);

      // Ctrl-C ends a watch with the last round as the report and exit code 130.
      const interrupted = startWatch();
      await interrupted.untilNotHealthy();
      interrupted.proc.kill('SIGINT');
      const i = await interrupted.proc;
      expect(i.exitCode).toBe(130);
      expect(JSON.parse(i.stdout)).toMatchObject({ ok: false, exitCode: 130, error: { exit: 'interrupted' } });
      expect(failed(JSON.parse(i.stdout))).toEqual([['STATUS-DC-NOT-READY', 'dp2']]);

      // --watch keeps asking; the datacenter becomes Ready once a round has said it is not.
      const watch = startWatch();
      await watch.untilNotHealthy().finally(() => setProgress(dc2, 'Ready', true));
      const w = await watch.proc;
      const stderr = watch.stderr();
      expect(w.exitCode, stderr).toBe(0);
      expect(stderr).toMatch(/not healthy yet; asking again in 1s \(Ctrl-C stops\)/);
      expect(stderr).toMatch(/Ask every cluster again \(round \d+\)/);
      const last = JSON.parse(w.stdout);
      expect(last.k8ssandraClusters[0].ready).toBe(true); // one document: the last round
    } finally {
      await setProgress(dc2, 'Ready', true);
    }
  });

  it('dp1\'s operator scaled to 0: exit 5, STATUS-OPERATOR-NOT-READY for dp1, the other clusters still ready', async () => {
    await kubectl('dp1', '-n', NS, 'scale', 'deployment', 'k8ssandra-operator', '--replicas=0');
    try {
      const r = await status('-o', 'json');
      expect(r.exitCode).toBe(5);
      const report = r.json();
      expect(report.ok).toBe(false);
      expect(failed(report)).toEqual([['STATUS-OPERATOR-NOT-READY', 'dp1']]);
      const f = byId(report, 'STATUS-OPERATOR-NOT-READY').find((c: any) => c.context === 'dp1');
      expect(f.message).toBe('dp1: k8ssandra-operator in k8ssandra-operator is scaled to 0 replicas');
      expect(f.hint).toMatch(/k8ssandra install --contexts cp,dp1,dp2/);
      expect(cluster(report, 'dp1')).toMatchObject({ reachable: true, ready: false, operatorReady: false, cassOperatorReady: true });
      expect([cluster(report, 'cp').ready, cluster(report, 'dp2').ready]).toEqual([true, true]);
      expect(report.k8ssandraClusters[0].ready).toBe(true);
    } finally {
      await kubectl('dp1', '-n', NS, 'scale', 'deployment', 'k8ssandra-operator', '--replicas=1');
    }
    await expectHealthyAgain();
  });

  it('dp2\'s token revoked (its service account recreated): STATUS-CLIENTCONFIG-AUTH fails, exit 5; install repairs it', async () => {
    const sa = await kubectlJson('dp2', '-n', NS, 'get', 'serviceaccount', 'k8ssandra-control-plane');
    await kubectl('dp2', '-n', NS, 'delete', 'serviceaccount', 'k8ssandra-control-plane');
    await apply('dp2', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'k8ssandra-control-plane', namespace: NS, labels: sa.metadata.labels } });
    try {
      const r = await waitFor('status to see the revoked token', async () => {
        const x = await status('-o', 'json');
        return x.exitCode === 5 ? x : undefined;
      });
      const report = r.json();
      expect(failed(report)).toEqual([['STATUS-CLIENTCONFIG-AUTH', 'dp2']]);
      const f = byId(report, 'STATUS-CLIENTCONFIG-AUTH').find((c: any) => c.context === 'dp2');
      expect(f.message).toBe('ClientConfig dp2: the token was rejected (401 Unauthorized)');
      expect(f.hint).toMatch(/mint a new one with k8ssandra install --contexts cp,dp1,dp2/);
      expect(report.registrations.map((g: any) => [g.clientConfig, g.verified])).toEqual([['dp1', true], ['dp2', false]]);
      expect(report.clusters.map((c: any) => [c.context, c.reachable, c.ready])).toEqual([['cp', true, true], ['dp1', true, true], ['dp2', true, true]]);
    } finally {
      const repaired = await install();
      expect(repaired.exitCode, repaired.stderr).toBe(0);
    }
    await expectHealthyAgain();
  });

  it('dp2\'s API server hangs: exit 6 within the request timeout, dp2 named, cp and dp1 still reported', async () => {
    const apiserver = clusterPids('dp2').find((p) => p.component === 'kube-apiserver' && p.alive);
    expect(apiserver, 'the bed\'s dp2 kube-apiserver').toBeDefined();
    process.kill(apiserver!.pid, 'SIGSTOP');
    try {
      let r;
      try {
        r = await status('-o', 'json', '--request-timeout', '2s');
      } finally {
        process.kill(apiserver!.pid, 'SIGCONT');
      }
      expect(r.exitCode, r.stdout + r.stderr).toBe(6);
      const report = r.json();
      expect(failed(report)).toEqual([['STATUS-DATA-PLANE-UNREACHABLE', 'dp2']]);
      expect(byId(report, 'STATUS-DATA-PLANE-UNREACHABLE')[0].message)
        .toMatch(/^data plane dp2 \(ClientConfig dp2 in cp\) does not answer: cannot reach https:\/\/127\.0\.0\.1:\d+ \(context dp2\): no answer within 2000 ms$/);
      expect(report.clusters.map((c: any) => [c.context, c.role, c.reachable, c.ready])).toEqual([
        ['cp', 'control-plane', true, true], ['dp1', 'data-plane', true, true], ['dp2', 'data-plane', false, false]]);
      expect(report.k8ssandraClusters[0].datacenters.map((d: any) => [d.name, d.progress])).toEqual([['dc1', 'Ready'], ['dc2', 'Unknown']]);
      // The hung cluster cost one request timeout, not one per request: the requests of the round shared
      // one attempt to connect, which gave up, so none of them was ever sent.
      expect(cluster(report, 'dp2').requests).toBe(0);
      expect(cluster(report, 'dp2').elapsedMs).toBeGreaterThanOrEqual(2000);
      expect(cluster(report, 'dp2').elapsedMs).toBeLessThan(2 * 2000); // one timeout, not two or more
      // cp waited at most one timeout for dp2 (its ClientConfig's credentials); dp1 did not wait at all.
      expect(cluster(report, 'cp').elapsedMs).toBeLessThan(cluster(report, 'dp1').elapsedMs + 2000 + 4000);
    } finally {
      // A pause of more than a few seconds may cost dp2's controllers their leases: bring the bed back if so.
      await waitFor('dp2 healthy again', async () => ((await bedStatus()).clusters.find((c) => c.context === 'dp2')?.healthy ? true : undefined), 15_000)
        .catch(() => bedUp());
    }
    await expectHealthyAgain();
  });

  it('discovery: a kubeconfig context that does not answer and is not registered is reported, not fatal', async () => {
    const doc = parse(readFileSync(bedKubeconfig(), 'utf8'));
    doc.clusters.push({ name: 'old-lab', cluster: { server: 'https://127.0.0.1:1' } });
    doc.contexts.push({ name: 'old-lab', context: { cluster: 'old-lab', user: doc.contexts[0].context.user } });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kc-')), 'config');
    writeFileSync(file, stringify(doc), { mode: 0o600 });
    const r = await k8ssandra(['status', '-o', 'json'], { kubeconfig: file });
    expect(r.exitCode, r.stdout).toBe(0);
    const report = r.json();
    expect(report.clusters.map((c: any) => c.context)).toEqual(['cp', 'dp1', 'dp2']);
    expect(report.checks.filter((c: any) => c.status !== 'pass').map((c: any) => [c.id, c.status, c.context])).toEqual([['K8S-REACHABLE', 'warn', 'old-lab']]);
    // Named with --contexts, it is part of what was asked about: exit 6.
    const named = await k8ssandra(['status', '-o', 'json', '--contexts', 'cp,dp1,dp2,old-lab'], { kubeconfig: file });
    expect(named.exitCode).toBe(6);
    expect(failed(named.json())).toEqual([['K8S-REACHABLE', 'old-lab']]);
    expect(named.json().error).toBeUndefined();
  });

  it('bad input: an unknown context and a bad duration are usage errors (exit 2), one line each', async () => {
    const r = await status('--contexts', 'cp,dp9');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/context "dp9" not found in kubeconfig/);
    const d = await status('--request-timeout', 'soon');
    expect(d.exitCode).toBe(2);
    expect(d.stderr).toMatch(/--request-timeout soon is not a duration/);
    expect(r.stderr + d.stderr).not.toMatch(/\n\s+at /);
  });
});
