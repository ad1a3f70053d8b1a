// The README's Quick start, run exactly as written, in a fresh copy of the working tree beside a link to
// shared/ (as a clone sits beside it): npm ci, build, a bed of its own (another slot: other pod IPs and
// ports than the suite's bed), install, the re-run that must change nothing, kubectl, down.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, upstream } from '../helpers/cli.js';

/** The shell block under "## Quick start", as lines. */
export function quickStart(readme: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Quick start'));
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Quick start"');
  return block.trimEnd().split('\n');
}

const work = mkdtempSync(path.join(tmpdir(), 'quick-start-'));
const clone = path.join(work, 'k8ssandra');

describe('README Quick start, as written, on a fresh copy', { timeout: 900_000 }, () => {
  afterAll(async () => {
    // The block ends with `down`; if it failed before, stop what it started.
    await execa('npm', ['run', 'testbed', '--', 'down'], { cwd: clone, reject: false });
    rmSync(work, { recursive: true, force: true });
  });

  it('runs every command of the block; the second install changes nothing', async () => {
    const lines = quickStart(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
    // What a clone holds: tracked files and new ones not ignored (no node_modules, bundle, .testbed).
    const files = (await execa('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repoRoot })).stdout.split('\0').filter(Boolean);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
      cpSync(path.join(repoRoot, f), path.join(clone, f), { dereference: false });
    }
    symlinkSync(path.dirname(upstream), path.join(work, 'shared'));
    // After `up`, the bed's safety check (the rule for every bed), then the block goes on as written.
    const up = lines.findIndex((l) => /npm run testbed -- up/.test(l));
    expect(up).toBeGreaterThanOrEqual(0);
    const safety = `${path.join(path.dirname(upstream), 'tools', 'bed-safety-check')} .testbed/kubeconfig`;
    const script = ['set -euo pipefail', ...lines.slice(0, up + 1), safety, ...lines.slice(up + 1)].join('\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('K8SSANDRA_') && k !== 'KUBECONFIG' && !k.startsWith('VITEST')));
    const r = await execa('bash', ['-c', script], { cwd: clone, reject: false, all: true, extendEnv: false, env: { ...env, NO_COLOR: '1' } });
    expect(r.exitCode, r.all).toBe(0);
    const out = r.all ?? '';
    expect(out).toMatch(/installed k8ssandra-operator v1\.32\.5: cp \d+ created/);
    expect(out).toMatch(/k8ssandra-operator v1\.32\.5 is already installed as planned: nothing changed/);
    expect(out).not.toMatch(/could not download/);
    expect(out).toMatch(/^dp1\s/m);
    expect(out).toMatch(/^dp2\s/m);
  });
});
