import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/host.js';
import { run } from '../../src/main.js';

/** Runs the CLI in this process and returns its exit code and what it wrote. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough(), stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.stdout.push(c));
  stderr.on('data', (c: Buffer) => chunks.stderr.push(c));
  const io = { stdout, stderr, stdin: new PassThrough(), env: {} } as unknown as Io;
  const code = await run(argv, io);
  return { code, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() };
}

const COMMANDS = ['install', 'register', 'uninstall', 'check', 'status', 'add-dc', 'remove-dc', 'render', 'completion'];

describe('--help answers', () => {
  it('lists every command with a one-line purpose', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    for (const c of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${c}( \\[options\\])?( <shell>)? +[a-z]`, 'm'));
    expect(stdout).toMatch(/^Exit codes: 0 ok, .* 130 interrupted\.$/m);
  });

  it.each(COMMANDS)('%s: purpose, grouped flags with defaults, two or more examples', async (name) => {
    const { code, stdout } = await cli(name, '--help');
    expect(code).toBe(0);
    const examples = stdout.slice(stdout.indexOf('\nExamples:\n'));
    expect(examples.match(/^ {2}(k8ssandra|source|kubectl) /gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    if (name === 'completion') return;
    // Flags come in named groups, the global ones last, and the defaults are shown.
    expect(stdout).toMatch(/^(Clusters|Run):$/m);
    expect(stdout).toMatch(/^Global Options:\n {2}-V, --version/m);
    expect(stdout).not.toMatch(/\(default: false\)/);
    if (['install', 'check'].includes(name)) {
      expect(stdout).toMatch(/^Routability probe:\n {2}--skip-routability/m);
      expect(stdout).toMatch(/--ports <list> +TCP ports .*\n.*\(default:\s+"7000,7001,9042,8080"\)/);
    }
    if (['install', 'register', 'uninstall', 'add-dc', 'remove-dc'].includes(name)) expect(stdout).toMatch(/--timeout <duration> .*\n?.*\(default: "\d+m"\)/);
  });

  it('every CI-facing command shows a JSON example', async () => {
    for (const name of ['install', 'register', 'uninstall', 'check', 'status', 'add-dc', 'remove-dc']) {
      expect((await cli(name, '--help')).stdout, name).toMatch(/^ {2}k8ssandra .* -o json/m);
    }
  });

  it('suggests the nearest command and flag', async () => {
    const cmd = await cli('instal');
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'instal'\n\(Did you mean install\?\)/);
    const flag = await cli('install', '--contexts', 'a', '--dryrun');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--dryrun'\n\(Did you mean --dry-run\?\)/);
  });
});

describe('--version', () => {
  it('the entry point answers it before loading the program, with the program\'s own answer', async () => {
    const { execa } = await import('execa');
    const program = await cli('--version');
    expect(program.code).toBe(0);
    for (const flag of ['--version', '-V']) {
      const r = await execa(process.execPath, ['bin/k8ssandra.js', flag]);
      expect(r.stdout).toBe(program.stdout.trim());
    }
  });
});
