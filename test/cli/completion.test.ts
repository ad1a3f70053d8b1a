import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { k8ssandra, repoRoot } from '../helpers/cli.js';

// Sources the generated bash script and asks it for completions, as bash would on Tab.
describe('shell completion', () => {
  let bin: string;
  let kubeconfig: string;
  beforeAll(() => {
    bin = mkdtempSync(path.join(tmpdir(), 'bin-'));
    writeFileSync(path.join(bin, 'k8ssandra'), `#!/bin/sh\nexec node ${path.join(repoRoot, 'bin/k8ssandra.js')} "$@"\n`);
    chmodSync(path.join(bin, 'k8ssandra'), 0o755);
    kubeconfig = path.join(bin, 'kubeconfig');
    const ctx = (name: string) => ({ name, context: { cluster: 'c', user: 'u' } });
    writeFileSync(kubeconfig, JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }], users: [{ name: 'u', user: {} }],
      contexts: [ctx('prod-east'), ctx('prod-west'), ctx('staging')] }));
  });

  async function complete(line: string): Promise<string[]> {
    const words = line.split(' ');
    const script = `source <(k8ssandra completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_k8ssandra; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await execa('bash', ['-c', script], { env: { PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: kubeconfig } });
    return r.stdout.split('\n').filter(Boolean);
  }

  it('completes commands and flags', async () => {
    expect(await complete('k8ssandra ins')).toEqual(['install']);
    expect(await complete('k8ssandra install --cont')).toEqual(expect.arrayContaining(['--contexts']));
    expect(await complete('k8ssandra install --dry')).toEqual(['--dry-run']);
    expect(await complete('k8ssandra -o j')).toEqual(['json']);
  });

  it('completes context names from the kubeconfig, also inside a comma list', async () => {
    expect(await complete('k8ssandra install --contexts prod')).toEqual(['prod-east', 'prod-west']);
    expect(await complete('k8ssandra install --contexts prod-east,st')).toEqual(['prod-east,staging']);
  });

  it('prints zsh and fish scripts and refuses other shells', async () => {
    expect((await k8ssandra(['completion', 'zsh'], { kubeconfig: null })).stdout).toMatch(/bashcompinit/);
    expect((await k8ssandra(['completion', 'fish'], { kubeconfig: null })).stdout).toMatch(/complete -c k8ssandra .* -a install/);
    const r = await k8ssandra(['completion', 'tcsh'], { kubeconfig: null });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('error: no completion for shell "tcsh"\nhint: use bash, zsh or fish');
  });
});
