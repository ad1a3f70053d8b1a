// One spelling of the error line (`error:`, as commander and kubectl write it) wherever an error is
// printed; a failure of `status` printed once; a clone without a build says what to do.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_VERSION } from '../../src/report/model.js';
import { renderReport } from '../../src/report/render.js';
import { styler } from '../../src/ui/style.js';
import { k8ssandra, repoRoot } from '../helpers/cli.js';

// A context whose server refuses connections (nothing listens on port 1 of loopback).
const dir = mkdtempSync(path.join(tmpdir(), 'error-line-'));
const kubeconfig = path.join(dir, 'config');
writeFileSync(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config',
  clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1' } }], users: [{ name: 'u', user: { token: 't' } }],
  contexts: [{ name: 'dead', context: { cluster: 'k', user: 'u' } }] }));

describe('the error line', () => {
  it('is "error:" from commander, from a usage error, and in a text report', async () => {
    const runs = await Promise.all([
      k8ssandra(['install', '--contexts', 'dead', '--bogus'], { kubeconfig }),
      k8ssandra(['install', '--contexts', 'dead', '--timeout', 'soon'], { kubeconfig }),
    ]);
    expect(runs.map((r) => r.exitCode)).toEqual([2, 2]);
    expect(runs[0]!.stderr).toMatch(/^error: unknown option '--bogus'/m);
    expect(runs[1]!.stderr).toMatch(/^error: --timeout soon is not a duration$/m);
    const report = renderReport({ schemaVersion: REPORT_SCHEMA_VERSION, command: 'install', ok: false, exitCode: 6, dryRun: false, clusters: [],
      registrations: [], summary: '', checks: [], elapsedMs: 1000, error: { message: '2 of 2 clusters failed', hint: 'check the clusters', exit: 'unreachable' } }, 'text', styler(false));
    expect(report).toMatch(/^error: 2 of 2 clusters failed\nhint: check the clusters$/m);
    for (const out of [...runs.map((r) => r.stdout + r.stderr), report]) expect(out).not.toMatch(/Error:/);
  });

  it('status names an unreachable context\'s failure once', async () => {
    const r = await k8ssandra(['status', '--contexts', 'dead'], { kubeconfig });
    expect(r.exitCode).toBe(6);
    expect((r.stdout + r.stderr).match(/cannot reach https:\/\/127\.0\.0\.1:1/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/FAIL \[K8S-REACHABLE\] dead: .*connection refused/);
  });

  it('a clone without a build: one error line, a hint to build, exit 1, no stack trace', async () => {
    const clone = mkdtempSync(path.join(tmpdir(), 'unbuilt-'));
    cpSync(path.join(repoRoot, 'bin'), path.join(clone, 'bin'), { recursive: true });
    cpSync(path.join(repoRoot, 'package.json'), path.join(clone, 'package.json'));
    const r = await execa('node', [path.join(clone, 'bin/k8ssandra.js'), 'status'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: k8ssandra is not built (bundle/main.js is missing)\nhint: run npm ci && npm run build in the repository');
  });
});
