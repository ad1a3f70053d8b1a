import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { k8ssandra, repoRoot } from '../helpers/cli.js';

// A command that prints progress and an error without needing a cluster.
const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'kc-')), 'config');
writeFileSync(kubeconfig, '{}');
const args = ['--kubeconfig', kubeconfig, 'install', '--contexts', 'nowhere'];

/** Runs the CLI on a pseudo-terminal of 100 columns, as a person at a terminal would. */
async function onTerminal(env: Record<string, string>): Promise<string> {
  const cmd = `stty cols 100; node ${path.join(repoRoot, 'bin/k8ssandra.js')} ${args.join(' ')}`;
  const r = await execa('script', ['-qc', cmd, '/dev/null'], { env, extendEnv: false, reject: false, timeout: 30_000 });
  return r.stdout;
}

describe('output etiquette', () => {
  it('a terminal gets colour; NO_COLOR and TERM=dumb get none', async () => {
    const env = { ...process.env, TERM: 'xterm' } as Record<string, string>;
    delete env.NO_COLOR; delete env.CI; delete env.FORCE_COLOR;
    expect(await onTerminal(env)).toMatch(/\x1b\[/);
    expect(await onTerminal({ ...env, NO_COLOR: '1' })).not.toMatch(/\x1b/);
    expect(await onTerminal({ ...env, TERM: 'dumb' })).not.toMatch(/\x1b/);
  });

  it('without a terminal: plain lines, progress on stderr, nothing on stdout but the report', async () => {
    const r = await k8ssandra(args, { kubeconfig: null });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\x1b/);
    expect(r.stderr).toMatch(/^• Resolve contexts$/m);
    const json = await k8ssandra([...args, '-o', 'json'], { kubeconfig: null });
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 2, error: { exit: 'usage' } });
  });

  it('--quiet prints no progress', async () => {
    const r = await k8ssandra([...args, '--quiet'], { kubeconfig: null });
    expect(r.stderr).not.toMatch(/Resolve contexts/);
    expect(r.stderr).toMatch(/^error: no contexts in kubeconfig/m);
  });
});
