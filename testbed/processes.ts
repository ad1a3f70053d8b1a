// Processes the bed starts itself: the podnet agent (detached, PID in .testbed/podnet.pid), and helpers
// to check that a recorded PID is still the process we started before signalling it.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { podnetLogPath, podnetPidPath, podnetScript, repoRoot, testbedDir } from './paths.js';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process (Linux), or undefined where /proc is not there. */
function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** Resident memory of a process and its children (tsx's esbuild helper) in bytes (Linux), 0 when unknown. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    return (m ? Number(m[1]) * 1024 : 0) + children.reduce((sum, child) => sum + rssBytes(child), 0);
  } catch {
    return 0;
  }
}

/**
 * Whether a recorded PID is still the process we started: alive, and its command line names `marker`
 * (a path of ours). PIDs get reused; never signal a recorded PID without this check.
 */
export function isOurs(pid: number, marker: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  const cmd = cmdline(pid);
  return cmd === undefined || cmd.includes(marker);
}

/** The PID a file records, when that process is alive and still runs `script`. */
export function recordedPid(pidFile: string, script: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return isOurs(pid, script) ? pid : undefined;
}

/**
 * Starts `script` detached (one node process running the TypeScript through tsx's loader: the tsx CLI
 * would add a parent process), its output appended to `logPath`, its PID in `pidFile`; fails when it
 * exits at once.
 */
export async function startDetached(what: string, script: string, args: string[], logPath: string, pidFile: string): Promise<number> {
  mkdirSync(dirname(pidFile), { recursive: true });
  const out = openSync(logPath, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`could not start the ${what}`);
  writeFileSync(pidFile, `${pid}\n`);
  await sleep(300);
  if (!isAlive(pid)) throw new Error(`the ${what} exited at once; see ${logPath}`);
  return pid;
}

/** Stops the process a PID file records (TERM, then KILL after `graceMs`) and forgets it; answers whether one ran. */
export async function stopRecorded(pidFile: string, script: string, graceMs: number): Promise<boolean> {
  const pid = recordedPid(pidFile, script);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < graceMs / 100 && isAlive(pid); i++) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
  return pid !== undefined;
}

export const agentPid = (): number | undefined => recordedPid(podnetPidPath, podnetScript);

export function agentOutdated(): boolean {
  const started = statSync(podnetPidPath).mtimeMs;
  return readdirSync(testbedDir).some((f) => f.endsWith('.ts') && statSync(join(testbedDir, f)).mtimeMs > started);
}

/** Starts the agent detached, its output appended to .testbed/podnet.log. */
export const startAgent = (): Promise<number> => startDetached('podnet agent', podnetScript, [], podnetLogPath, podnetPidPath);

/** Stops the recorded agent (TERM, then KILL after 5 s) and forgets it. */
export async function stopAgent(): Promise<void> {
  await stopRecorded(podnetPidPath, podnetScript, 5000);
}

/**
 * Other test beds on this machine (other checkouts of the repo), found by their running podnet agents:
 * their repo folder and address slot (beds from before slots existed use slot 0). Read-only: the bed
 * never signals a process it did not start.
 */
export function otherBeds(): { root: string; slot: number }[] {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const beds = new Map<string, number>();
  for (const pid of pids) {
    const script = cmdline(Number(pid))?.split(' ').find((arg) => arg.endsWith('/testbed/podnet.ts'));
    if (!script || script === podnetScript) continue;
    const root = dirname(dirname(script));
    let slot = 0;
    try {
      slot = Number(readFileSync(join(root, '.testbed', 'slot'), 'utf8').trim()) || 0;
    } catch {
      /* no slot file: slot 0 */
    }
    beds.set(root, slot);
  }
  return [...beds].map(([root, slot]) => ({ root, slot }));
}
