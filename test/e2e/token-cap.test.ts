// API servers that cap token lifetimes (EKS 24h, GKE 48h), on a bed of its own made with
// `up --max-token-ttl 24h` (cp and dp1): install says so (TOKEN-LIFETIME) and gives the control plane a
// service-account token Secret that lasts; a re-run changes nothing; rotation replaces the Secret in one
// batch; --bounded-tokens keeps the short token and says how often to renew it; status shows the
// credential kind and warns about a short-lived token; uninstall removes the token Secrets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBed, type BedCopy } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra } from '../helpers/cli.js';

const NS = 'k8ssandra-operator';
const DAY_S = 24 * 3600;
let bed: BedCopy;

const run = (...args: string[]) => k8ssandra([...args, '-o', 'json'], { kubeconfig: bed.kubeconfig });
const json = async (ctx: string, ...args: string[]) => JSON.parse((await bed.kubectl(ctx, ...args, '-o', 'json')).stdout);
const tokenSecrets = async () => (await json('dp1', '-n', NS, 'get', 'secrets', '-l', 'k8ssandra.io/credential-of=k8ssandra-control-plane')).items
  .map((s: any) => ({ name: s.metadata.name as string, type: s.type as string }));
/** The token the control plane holds for dp1, as its claims say (never printed). */
async function storedToken(): Promise<{ exp?: number; iat?: number; secretName?: string; resourceVersion: string }> {
  const s = await json('cp', '-n', NS, 'get', 'secret', 'dp1-kubeconfig');
  const kubeconfig = Buffer.from(s.data.kubeconfig, 'base64').toString('utf8');
  const token = /token: (\S+)/.exec(kubeconfig)![1]!;
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  return { exp: claims.exp, iat: claims.iat, secretName: claims['kubernetes.io/serviceaccount/secret.name'], resourceVersion: s.metadata.resourceVersion };
}

describe('token lifetimes capped by the API server (a bed of its own, capped at 24h)', { timeout: 1_200_000 }, () => {
  beforeAll(async () => {
    bed = copyBed('cap');
    await bed.upSafely('--clusters', '2', '--max-token-ttl', '24h');
  }, 900_000);
  afterAll(() => bed?.remove(), 300_000);

  it('install --token-ttl 365d: says the cap, stores a token Secret\'s token that does not expire', async () => {
    const r = await run('install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--token-ttl', '365d');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.registrations[0]).toMatchObject({ context: 'dp1', credential: 'secret', verified: true,
      tokenLifetimeAskedSeconds: 365 * DAY_S, tokenLifetimeGrantedSeconds: DAY_S });
    const cap = report.checks.find((c: any) => c.id === 'TOKEN-LIFETIME');
    expect(cap).toMatchObject({ status: 'warn', context: 'dp1' });
    expect(cap.message).toMatch(/caps token lifetimes: 1d granted for the 365d asked; .*token Secret k8ssandra-control-plane-token-\w+ instead/);
    const secrets = await tokenSecrets();
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.type).toBe('kubernetes.io/service-account-token');
    const stored = await storedToken();
    expect(stored.exp).toBeUndefined();
    expect(stored.secretName).toBe(secrets[0]!.name);
  });

  it('a re-run keeps the credential: nothing changes, the control plane sees no Secret change', async () => {
    const before = await storedToken();
    const r = await run('install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--token-ttl', '365d');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().registrations[0]).toMatchObject({ action: 'unchanged', credential: 'secret', verified: true });
    expect((await storedToken()).resourceVersion).toBe(before.resourceVersion);
    expect(r.json().summary).toMatch(/already installed as planned: nothing changed/);
  });

  it('register --rotate: a new token Secret, the old one removed once the ClientConfig points at the new one', async () => {
    const [old] = await tokenSecrets();
    const r = await run('register', '--contexts', 'cp,dp1', '--rotate');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().registrations[0]).toMatchObject({ action: 'changed', credential: 'secret', verified: true });
    const now = await tokenSecrets();
    expect(now).toHaveLength(1);
    expect(now[0]!.name).not.toBe(old!.name);
    expect((await storedToken()).secretName).toBe(now[0]!.name);
  });

  it('status shows the credential kind and is healthy', async () => {
    const r = await run('status', '--contexts', 'cp,dp1');
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.json().registrations.find((g: any) => g.context === 'dp1')).toMatchObject({ credential: 'secret' });
  });

  it('--bounded-tokens keeps the 24h token, says how often to renew it; re-runs keep it; status warns it is short-lived', async () => {
    const r = await run('register', '--contexts', 'cp,dp1', '--rotate', '--bounded-tokens', '--token-ttl', '365d');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json().registrations[0]).toMatchObject({ credential: 'token', tokenLifetimeGrantedSeconds: DAY_S, verified: true });
    const cap = r.json().checks.find((c: any) => c.id === 'TOKEN-LIFETIME');
    expect(cap.message).toMatch(/renewed at least every 16h/);
    expect(await tokenSecrets()).toEqual([]); // the token Secret went with the switch
    const stored = await storedToken();
    expect(stored.exp! - stored.iat!).toBe(DAY_S);

    const again = await run('install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--bounded-tokens');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json().registrations[0]).toMatchObject({ action: 'unchanged', credential: 'token' });
    expect((await storedToken()).resourceVersion).toBe(stored.resourceVersion);

    const s = await run('status', '--contexts', 'cp,dp1');
    const short = s.json().checks.find((c: any) => c.id === 'STATUS-TOKEN-EXPIRING' && c.status === 'warn');
    expect(short?.message).toMatch(/lasts 24 hours .*renew it at least every 16 hours/);
  });

  it('uninstall removes the token Secrets it made', async () => {
    await run('register', '--contexts', 'cp,dp1', '--rotate'); // back to a token Secret
    expect(await tokenSecrets()).toHaveLength(1);
    const r = await run('uninstall', '--contexts', 'cp,dp1', '--yes');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await tokenSecrets()).toEqual([]);
  });
});
