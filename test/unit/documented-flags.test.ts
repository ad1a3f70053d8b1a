// Every flag the README documents exists, every flag the CLI defines is documented, and every documented
// flag (and each documented value of it, such as -o text|json|yaml) is passed to the CLI by at least one
// test that runs against the bed (test/e2e, test/testbed). A flag only named in a comment or an assertion
// does not count: see test/helpers/cli-invocations.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import type { Io } from '../../src/cli/host.js';
import { invocations, readSources, testFiles, type Invocation } from '../helpers/cli-invocations.js';
import { documentedFlags } from '../helpers/readme-flags.js';

const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

const program = buildProgram({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: {} } as unknown as Io, () => {});
const commands = program.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
const commandNames = commands.map((c) => c.name());
const helpOption = { long: '--help', short: '-h', argChoices: undefined } as unknown as Option;
const globalOptions: Option[] = [...program.options, helpOption];
const optionsOf = (name: string): Option[] => (name === '*' ? globalOptions : [...commands.find((c) => c.name() === name)!.options, ...globalOptions]);
/** The option a spelling names (short or long) in a command, undefined when there is none. */
const optionFor = (command: string, flag: string) => optionsOf(command).find((o) => o.long === flag || o.short === flag);

const documented = documentedFlags(readme, commands.filter((c) => c.options.length).map((c) => c.name()));
const used = invocations(readSources(testFiles(path.join(root, 'test/e2e'), path.join(root, 'test/testbed'))), commandNames,
  readSources(testFiles(path.join(root, 'test/helpers'))));

/** Invocations that pass the option, and for a value, pass it right after the option. */
function uses(inv: Invocation, command: string, option: Option, value?: string): boolean {
  if (command !== '*' && inv.command !== command) return false;
  return inv.args.some((a, i) => {
    if (a !== option.long && a !== option.short) return false;
    if (optionFor(inv.command ?? '*', a) !== option) return false;
    return value === undefined || inv.args[i + 1] === value;
  });
}

describe('README flags', () => {
  it('finds the flag tables and every command section', () => {
    // If the README's layout changes, this parser must follow, not silently find nothing.
    expect(documented.filter((f) => f.command === '*').length).toBeGreaterThanOrEqual(9);
    expect(documented.filter((f) => f.command === 'install').length).toBeGreaterThanOrEqual(16);
    for (const c of ['status', 'check', 'add-dc', 'remove-dc', 'register', 'uninstall', 'render']) {
      expect(documented.filter((f) => f.command === c).length, c).toBeGreaterThan(0);
    }
  });

  it('documents only flags (and values) that exist', () => {
    const unknown = documented.flatMap((d) => {
      const o = optionFor(d.command, d.flag);
      if (!o) return [`${d.command === '*' ? 'global' : d.command} ${d.flag}: no such flag (${d.where})`];
      const bad = d.values.filter((v) => !o.argChoices?.includes(v));
      return bad.length ? [`${d.flag} ${bad.join('|')}: not a value commander accepts (${d.where})`] : [];
    });
    expect(unknown, 'the README documents flags the CLI does not have').toEqual([]);
  });

  it('documents every flag the CLI defines', () => {
    const isDocumented = (command: string, o: Option) => documented.some((d) => (d.command === command || d.command === '*')
      && optionFor(d.command, d.flag) === o);
    const missing = [
      ...globalOptions.filter((o) => !isDocumented('*', o)).map((o) => `global ${o.long}`),
      ...commands.flatMap((c) => c.options.filter((o) => !isDocumented(c.name(), o)).map((o) => `${c.name()} ${o.long}`)),
    ];
    expect(missing, 'flags of the CLI that README.md\'s "Commands and flags" does not document').toEqual([]);
  });

  it('every documented flag and value is passed to the CLI by an e2e test', () => {
    const missing = new Map<string, string>();
    for (const d of documented) {
      const o = optionFor(d.command, d.flag);
      if (!o) continue;
      // A global flag in a command's section (status --request-timeout) must be used with that command.
      const name = `${d.command === '*' ? '' : `${d.command} `}${o.long}`;
      if (!used.some((inv) => uses(inv, d.command, o)) && !missing.has(name)) missing.set(name, d.where);
      for (const v of d.values) if (!used.some((inv) => uses(inv, d.command, o, v)) && !missing.has(`${name} ${v}`)) missing.set(`${name} ${v}`, d.where);
    }
    expect([...missing].map(([name, where]) => `${name} (${where})`), 'documented flags that no test under test/e2e or test/testbed passes to the CLI').toEqual([]);
  });
});

describe('what counts as a test passing a flag', () => {
  const source = (text: string) => invocations([{ file: 'x.test.ts', text }], commandNames, [{ file: 'cli.ts', text: "export const bedInstallFlags = ['--manifests', m, '--yes'];" }]);
  const flagsOf = (text: string) => source(text).map((i) => [i.command, i.args.filter((a) => a.startsWith('-'))]);

  it('a flag in a comment, an assertion or a kubectl call does not count', () => {
    expect(flagsOf(`
      // k8ssandra(['install', '--dry-run'])
      /* startK8ssandra(['uninstall', '--no-wait']) */
      expect(r.stderr).toMatch('--force');
      await kubectl('cp', 'get', 'pods', '--ignore-not-found');
      const r = await k8ssandra(['status', '-o', 'json'], { env: { X: '--verbose' } });`)).toEqual([['status', ['-o']]]);
  });

  it('local wrappers carry their command; shared arrays and --flag=value are expanded', () => {
    expect(flagsOf(`
      const install = (...extra: string[]) => k8ssandra(['install', '--contexts', 'cp', ...bedInstallFlags, ...extra]);
      function check(...a: string[]) { return k8ssandra(['check', ...a]); }
      await install('--token-ttl=2h');
      await check('--ports', '7000');
      await execa(bin, ['--version']);
      await execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), 'status', '--watch']);`)).toEqual([
      ['install', ['--contexts', '--manifests', '--yes']],
      ['check', []],
      ['install', ['--token-ttl']],
      ['check', ['--ports']],
      [undefined, ['--version']],
      ['status', ['--watch']],
    ]);
  });
});
