// `up --max-token-ttl 24h` makes a bed whose API servers cap service-account tokens the way EKS does
// (design/field-conditions.md): a TokenRequest for a year gets 24 hours, silently for the caller but
// with a warning kubectl shows. The bed keeps the cap for its lifetime (a restart or a plain `up` keeps
// it); a bed made without the flag grants the lifetime asked. One-cluster beds of their own (copyBed),
// so the run's shared bed stays as it is.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyBed, type BedCopy } from '../helpers/bed.js';

const YEAR_S = 365 * 24 * 3600;
const DAY_S = 24 * 3600;

/** `kubectl create token default --duration 8760h` in cp: the token's exp and iat (from its JWT payload) and kubectl's warnings. */
async function yearToken(bed: BedCopy): Promise<{ lifetimeS: number; aheadS: number; stderr: string }> {
  const { stdout, stderr } = await bed.kubectl('cp', '-n', 'default', 'create', 'token', 'default', '--duration', '8760h');
  const payload = JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString('utf8')) as { exp: number; iat: number };
  return { lifetimeS: payload.exp - payload.iat, aheadS: payload.exp - Date.now() / 1000, stderr };
}

async function upSafely(bed: BedCopy, ...flags: string[]): Promise<string> {
  const r = await bed.cli('up', '--clusters', '1', ...flags);
  expect(r.exitCode, r.all).toBe(0);
  const safety = await bed.safetyCheck();
  expect(safety.exitCode, safety.all).toBe(0);
  return r.all;
}

describe('up --max-token-ttl', { timeout: 900_000 }, () => {
  const bed = copyBed('ttl');
  afterAll(() => bed.remove(), 300_000);

  it('caps a one-year TokenRequest at 24h, says so, and keeps the cap across a restart and a plain up', async () => {
    expect(await upSafely(bed, '--max-token-ttl', '24h')).toContain('service-account tokens capped at 24h');

    const capped = await yearToken(bed);
    expect(capped.lifetimeS).toBe(DAY_S);
    expect(Math.abs(capped.aheadS - DAY_S)).toBeLessThan(300);
    expect(capped.stderr).toContain(`requested expiration of ${YEAR_S} seconds shortened to ${DAY_S} seconds`);

    const st = await bed.cli('status');
    expect(st.exitCode, st.all).toBe(0);
    expect(st.all).toMatch(/^settings: Kubernetes v\d+\.\d+\.\d+, service-account tokens capped at 24h/m);

    // A restart: kube-apiserver gone (killed by the PID this bed recorded), `up` without the flag starts it again.
    const pidFile = path.join(bed.root, '.testbed', 'kwok', 'clusters', 'k8ssandra-cp', 'pids', 'kube-apiserver.pid');
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
    const again = await upSafely(bed);
    expect(again).toMatch(/cp: restarted/);
    expect(again).toContain('service-account tokens capped at 24h');
    expect((await yearToken(bed)).lifetimeS).toBe(DAY_S);

    // Asking the running bed for another cap is refused with the way out, and changes nothing.
    const other = await bed.cli('up', '--max-token-ttl', '48h');
    expect(other.exitCode).toBe(1);
    expect(other.all).toContain('the running bed was made with --max-token-ttl 24h (asked: --max-token-ttl 48h); run `npm run testbed -- down` first');
    expect(other.all).not.toMatch(/\n\s+at /); // one line, no stack trace
  });

  it('grants the year asked when made without the flag', async () => {
    const down = await bed.cli('down');
    expect(down.exitCode, down.all).toBe(0);
    expect(await upSafely(bed)).toContain('service-account tokens not capped');

    const uncapped = await yearToken(bed);
    expect(uncapped.lifetimeS).toBe(YEAR_S);
    expect(Math.abs(uncapped.aheadS - YEAR_S)).toBeLessThan(300);
    expect(uncapped.stderr).not.toContain('shortened');
  });
});
