// Registrations as the control plane consumes them: a stand-in for k8ssandra-operator's control plane
// (testbed/consumer/) loads the ClientConfigs the CLI wrote, syncs its watches in dp1 and dp2 with the
// stored credentials, restarts once per changed batch (register --rotate) and comes back with the new
// tokens, and crash-loops on a broken Secret. kubectl and the stored tokens are the independent checks.
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCHED_KINDS } from '../../testbed/consumer/data-plane.js';
import { kubectl, kubectlJson } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra } from '../helpers/cli.js';
import { startConsumer, type Consumer } from '../helpers/consumer.js';

const NS = 'k8ssandra-operator';
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const DATA_PLANES = ['dp1', 'dp2'];
const SA = 'k8ssandra-control-plane';
const HASHES = ['k8ssandra.io/resource-hash', 'k8ssandra.io/secret-hash'];

let consumer: Consumer;

/** The kubeconfig stored for a data plane, and the ID of its token (the JWT's jti, as the API server reports it). */
async function stored(dp: string): Promise<{ kubeconfig: any; credentialId: string }> {
  const secret = await kubectlJson('cp', '-n', NS, 'get', 'secret', `${dp}-kubeconfig`);
  const kubeconfig = parse(Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8'));
  const claims = JSON.parse(Buffer.from(kubeconfig.users[0].user.token.split('.')[1], 'base64url').toString('utf8'));
  return { kubeconfig, credentialId: `JTI=${claims.jti}` };
}

async function storeKubeconfig(dp: string, kubeconfig: unknown): Promise<void> {
  const data = { kubeconfig: Buffer.from(stringify(kubeconfig)).toString('base64') };
  await kubectl('cp', '-n', NS, 'patch', 'secret', `${dp}-kubeconfig`, '--type=merge', '-p', JSON.stringify({ data }));
}

const register = (...extra: string[]) => k8ssandra(['register', '--contexts', CONTEXTS.join(','), '-o', 'json', ...extra]);

describe('a control plane that consumes the registrations like k8ssandra-operator', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    const r = await k8ssandra(['install', '--contexts', CONTEXTS.join(','), ...bedInstallFlags, '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
    // Only this file's registrations: a ClientConfig another file left for some other cluster would be loaded too.
    const others = (await kubectl('cp', '-n', NS, 'get', 'clientconfigs', '-o', 'name')).split('\n').filter(Boolean)
      .filter((n) => !DATA_PLANES.some((dp) => n.endsWith(`/${dp}`)));
    if (others.length) await kubectl('cp', '-n', NS, 'delete', ...others);
    consumer = await startConsumer({ backoffMs: 2000, cacheSyncTimeoutMs: 15_000 });
  });
  afterAll(async () => {
    await consumer?.stop();
    // Working credentials again (the last tests broke them), and none of the consumer's annotations.
    // --force: the tests' kubectl patch took the Secrets' field data.kubeconfig over from the CLI.
    const r = await register('--rotate', '--force');
    expect(r.exitCode, r.stderr).toBe(0);
    await kubectl('cp', '-n', NS, 'annotate', 'clientconfigs', ...DATA_PLANES, ...HASHES.map((h) => `${h}-`));
  });

  it('loads both ClientConfigs, annotates them, and syncs both data planes with the control plane\'s service account', async () => {
    const synced = await consumer.waitSynced(DATA_PLANES);
    const loaded = await consumer.waitForEvent('clientconfigs');
    expect(loaded.items.map((i) => [i.name, i.context, i.secret])).toEqual([['dp1', 'dp1', 'dp1-kubeconfig'], ['dp2', 'dp2', 'dp2-kubeconfig']]);
    for (const [i, dp] of DATA_PLANES.entries()) {
      const s = synced[i]!;
      expect(s).toMatchObject({ context: dp, clientConfig: dp, serviceAccount: SA, username: `system:serviceaccount:${NS}:${SA}`, scope: `namespace ${NS}` });
      expect(s.kinds).toEqual(WATCHED_KINDS.map((k) => k.kind));
      // The credentials it synced with are the token stored for that data plane (its ID, never the token).
      expect(s.credentialId).toBe((await stored(dp)).credentialId);
      // It wrote upstream's two hash annotations; the Secret's hash is the one it loaded.
      const cc = await kubectlJson('cp', '-n', NS, 'get', 'clientconfig', dp);
      expect(Object.keys(cc.metadata.annotations)).toEqual(expect.arrayContaining(HASHES));
      expect(cc.metadata.annotations['k8ssandra.io/secret-hash']).toBe(s.secretHash);
    }
    // A CRD the install just created may answer 429 "storage is (re)initializing" for a moment: the server
    // asks to come back, and the watch is retried as client-go's reflector retries it. Anything else is a failure.
    const serverBusy = (e: { event: string; message?: string }) => e.event === 'watch-error' && /^429 /.test(e.message ?? '');
    expect(consumer.events().filter((e) => ['kind-not-served', 'watch-error', 'exit'].includes(e.event) && !serverBusy(e))).toEqual([]);
    expect(consumer.restarts()).toBe(0);
  });

  it('register --rotate: exactly one restart for the batch, then both data planes sync again with the new tokens', async () => {
    const before = await consumer.waitSynced(DATA_PLANES);
    const from = consumer.events().length;
    const r = await register('--rotate');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().registrations.map((g: any) => [g.context, g.action])).toEqual([['dp1', 'changed'], ['dp2', 'changed']]);
    const exit = await consumer.waitForEvent('exit', undefined, { from });
    expect(exit).toMatchObject({ code: 0, reason: 'changed' });
    expect(exit.message).toMatch(/Secret dp[12]-kubeconfig has been modified/);
    const after = await consumer.waitSynced(DATA_PLANES, { from });
    // Settled: nothing else ends the new run (a batch written in two halves would restart it twice).
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const since = consumer.events().slice(from);
    expect(since.filter((e) => e.event === 'exit').length).toBe(1);
    expect(since.filter((e) => e.event === 'restarting').length).toBe(1);
    for (const [i, dp] of DATA_PLANES.entries()) {
      expect(after[i]).toMatchObject({ context: dp, serviceAccount: SA });
      expect(after[i]!.credentialId).not.toBe(before[i]!.credentialId);
      expect(after[i]!.credentialId).toBe((await stored(dp)).credentialId);
      expect(after[i]!.secretHash).not.toBe(before[i]!.secretHash);
    }
  });

  it('a Secret whose token is rejected: exit 0 for the change, then exit 1 once the cache sync times out, and a crash loop', async () => {
    await consumer.waitSynced(DATA_PLANES);
    const from = consumer.events().length;
    const { kubeconfig } = await stored('dp2');
    kubeconfig.users[0].user.token = 'not-a-valid-token';
    await storeKubeconfig('dp2', kubeconfig);
    const changed = await consumer.waitForEvent('exit', undefined, { from });
    expect(changed).toMatchObject({ code: 0, reason: 'changed' });
    expect(changed.message).toMatch(/Secret dp2-kubeconfig has been modified/);
    const broken = await consumer.waitForEvent('exit', (e) => e.code === 1, { from, timeoutMs: 90_000 });
    expect(broken).toMatchObject({ reason: 'broken', breakage: 'rejected', context: 'dp2' });
    expect(broken.message).toMatch(/dp2: timed out waiting for cache to be synced for Kind \w+: the credentials were rejected \(401/);
    // dp1's registration still works in that run; the supervisor backs off before the next start.
    expect(consumer.events().slice(from).some((e) => e.event === 'synced' && e.context === 'dp1' && e.run === broken.run)).toBe(true);
    const again = await consumer.waitForEvent('restarting', undefined, { from: broken.index });
    expect(again.delayMs).toBeGreaterThan(0);
  });

  it('a Secret without the context its ClientConfig names: exit 1 at start-up', async () => {
    const from = consumer.events().length;
    const { kubeconfig } = await stored('dp1');
    kubeconfig.contexts[0].name = 'renamed';
    await storeKubeconfig('dp1', kubeconfig);
    const broken = await consumer.waitForEvent('exit', (e) => e.code === 1 && e.breakage === 'bad-kubeconfig', { from, timeoutMs: 120_000 });
    expect(broken).toMatchObject({ reason: 'broken', context: 'dp1' });
    expect(broken.message).toMatch(/unable to create manager cluster connections: Secret k8ssandra-operator\/dp1-kubeconfig: context was not found for specified context: dp1/);
  });
});
