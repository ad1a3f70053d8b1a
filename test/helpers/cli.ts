// Runs the built CLI as a user would: a child process, its exit code, stdout and stderr.
import path from 'node:path';
import { execa } from 'execa';
import { bedKubeconfig } from './bed.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const upstream = path.resolve(repoRoot, '../shared/upstream');
export const operatorManifests = path.join(upstream, 'k8ssandra-operator-v1.32.5');
export const certManagerManifests = path.join(upstream, 'cert-manager-v1.18.5/cert-manager-standin.yaml');

export interface CliRun { exitCode: number; stdout: string; stderr: string; json: <T = any>() => T }

export async function k8ssandra(args: string[], opts: { env?: Record<string, string>; kubeconfig?: string | null } = {}): Promise<CliRun> {
  const kc = opts.kubeconfig === null ? [] : ['--kubeconfig', opts.kubeconfig ?? bedKubeconfig()];
  const r = await execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), ...kc, ...args],
    { reject: false, env: { NO_COLOR: '1', ...opts.env }, stdin: 'ignore', timeout: 300_000 });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

/** The flags every install against the bed needs: the real upstream release from local files. */
export const bedInstallFlags = ['--manifests', operatorManifests, '--cert-manager-manifests', certManagerManifests, '--skip-routability', '--yes'];

/** A CLI run in progress: its process (to signal), its stderr so far, and its outcome. */
export interface CliProcess {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  stderr(): string;
  /** Resolves when stderr has matched `re`. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
  result: Promise<CliRun & { signal?: string; endedAt: number }>;
}

/** Starts the CLI without waiting for it, so that a test can interrupt or kill it mid-way. */
export function startK8ssandra(args: string[], opts: { env?: Record<string, string>; kubeconfig?: string } = {}): CliProcess {
  const child = execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), '--kubeconfig', opts.kubeconfig ?? bedKubeconfig(), ...args],
    { reject: false, env: { NO_COLOR: '1', ...opts.env }, stdin: 'ignore', timeout: 300_000 });
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    for (const w of [...waiters]) if (w.re.test(err)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  return {
    pid: child.pid!,
    kill: (signal) => { child.kill(signal); },
    stderr: () => err,
    waitForStderr: (re, timeoutMs = 180_000) => (re.test(err) ? Promise.resolve() : new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stderr never matched ${re}:\n${err}`)), timeoutMs);
      waiters.push({ re, resolve: () => { clearTimeout(timer); resolve(); } });
    })),
    result: child.then((r) => ({ exitCode: r.exitCode ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr, endedAt: Date.now(),
      json: () => JSON.parse(r.stdout) })),
  };
}

/** A CLI run on a terminal (a pty from script(1), 120x40): spinners, prompts, Ctrl-C typed as a key. */
export interface TerminalRun {
  output(): string;
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Types on the terminal: '\x03' is Ctrl-C, '\r' is Enter. */
  type(text: string): void;
  result: Promise<{ exitCode: number; output: string }>;
}

export function startK8ssandraOnTerminal(args: string[], opts: { kubeconfig?: string } = {}): TerminalRun {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = ['stty cols 120 rows 40;', 'exec', 'node', path.join(repoRoot, 'bin/k8ssandra.js'),
    '--kubeconfig', opts.kubeconfig ?? bedKubeconfig(), ...args].map((a, i) => (i < 2 ? a : quote(a))).join(' ');
  // Not in CI mode (CI=... turns prompts and spinners off), whatever runs the tests.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI'));
  const child = execa('script', ['-qec', command, '/dev/null'], { reject: false, extendEnv: false, env: { ...env, NO_COLOR: '1', TERM: 'xterm' },
    stdin: 'pipe', timeout: 300_000 });
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const clean = () => out.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of [...waiters]) if (w.re.test(clean())) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  return {
    output: clean,
    waitForOutput: (re, timeoutMs = 180_000) => (re.test(clean()) ? Promise.resolve() : new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the terminal never showed ${re}:\n${clean()}`)), timeoutMs);
      waiters.push({ re, resolve: () => { clearTimeout(timer); resolve(); } });
    })),
    type: (text) => { child.stdin!.write(text); },
    result: child.then((r) => ({ exitCode: r.exitCode ?? -1, output: clean() })),
  };
}
