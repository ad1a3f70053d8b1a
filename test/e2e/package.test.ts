import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { bedKubeconfig } from '../helpers/bed.js';
import { bedInstallFlags, repoRoot } from '../helpers/cli.js';

// The packed tarball installs globally into a clean prefix and runs with its runtime dependencies only.
describe('npm pack: the package people install', { timeout: 300_000 }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'pack-'));
  const prefix = path.join(work, 'prefix');
  let bin: string;
  let files: string[];
  let tarball: string;

  beforeAll(async () => {
    const packed = await execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: repoRoot });
    const info = JSON.parse(packed.stdout)[0];
    files = info.files.map((f: { path: string }) => f.path);
    tarball = path.join(work, info.filename);
    await execa('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', path.join(work, info.filename)], { cwd: work });
    bin = path.join(prefix, 'bin', 'k8ssandra');
  });

  it('ships the CLI, its templates and schema, and no test bed, tests or sources', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/k8ssandra.js', 'bundle/main.js', 'templates/registration.yaml', 'schema/report.schema.json', 'package.json', 'README.md']));
    expect(files.filter((f) => /^(test|testbed|src|bench|scripts|\.ci)\//.test(f))).toEqual([]);
    // runtime dependencies only: no vitest, typescript or tsx in the installed tree
    const installed = readdirSync(path.join(prefix, 'lib/node_modules/k8ssandra/node_modules'));
    for (const dev of ['vitest', 'typescript', 'tsx', 'ajv', 'esbuild', 'commander']) expect(installed).not.toContain(dev);
  });

  it('runs --version, --help and a dry run against the bed from the global prefix', async () => {
    const cwd = work; // nowhere near the repository
    expect((await execa(bin, ['--version'], { cwd })).stdout).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await execa(bin, ['--help'], { cwd })).stdout).toMatch(/install \[options\]/);
    const r = await execa(bin, ['--kubeconfig', bedKubeconfig(), 'install', '--contexts', 'cp,dp1', ...bedInstallFlags, '--dry-run', '-o', 'json', '-q'],
      { cwd, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'install', dryRun: true, ok: true });
  });

  it('runs with npx from the tarball, and tells an old Node what it needs', async () => {
    const npx = await execa('npx', ['--yes', '--package', tarball, 'k8ssandra', '--version'], { cwd: work, env: { npm_config_update_notifier: 'false' } });
    expect(npx.stdout.trim().split('\n').at(-1)).toMatch(/^\d+\.\d+\.\d+$/);
    // The entry point checks the version before it loads anything that needs a newer Node.
    const entry = path.join(prefix, 'lib/node_modules/k8ssandra/bin/k8ssandra.js');
    const old = await execa('node', ['--input-type=module', '-e',
      `Object.defineProperty(process.versions, 'node', { value: '18.20.0' }); await import(${JSON.stringify(entry)})`], { reject: false });
    expect(old.exitCode).toBe(2);
    expect(old.stderr).toBe('error: k8ssandra needs Node.js 20.19 or newer (this is 18.20.0)\nhint: install a current Node.js LTS');
  });
});
