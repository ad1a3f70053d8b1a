// The consumer's supervisor: runs consumer.ts and starts it again whenever it ends, with the kubelet's
// backoff (backoff.ts), counting restarts in the events file as a pod's restartCount would. It stops
// its consumer and itself on SIGTERM, and when the bed's kubeconfig is gone (`testbed down`).
//
//   node --import tsx testbed/consumer/run.ts --kubeconfig K --events FILE [--backoff 10s] [--max-backoff 300s]
//        [consumer options: --context --namespace --cluster-scoped --cache-sync-timeout]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { repoRoot } from '../paths.js';
import { KUBELET_BACKOFF, nextRestart, type BackoffEntry } from './backoff.js';
import { consumerScript, parseSeconds } from './control.js';
import { EventLog } from './events.js';

const argv = process.argv.slice(2);
const { values } = parseArgs({ args: argv, strict: false, options: {
  kubeconfig: { type: 'string' }, events: { type: 'string' }, backoff: { type: 'string' }, 'max-backoff': { type: 'string' },
} });
const kubeconfig = String(values.kubeconfig);
const log = new EventLog(String(values.events), 'supervisor');
const backoff = {
  initialMs: typeof values.backoff === 'string' ? parseSeconds(values.backoff) : KUBELET_BACKOFF.initialMs,
  maxMs: typeof values['max-backoff'] === 'string' ? parseSeconds(values['max-backoff']) : KUBELET_BACKOFF.maxMs,
};
// The consumer gets every argument but the supervisor's own.
const own = new Set(['--backoff', '--max-backoff']);
const consumerArgs = argv.filter((a, i) => !own.has(a) && !own.has(argv[i - 1]!));

const stop = new AbortController();
let why = 'stopped (SIGTERM)';
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => stop.abort());
// `testbed down` removes the kubeconfig: nothing left to talk to.
setInterval(() => { if (!existsSync(kubeconfig)) { why = 'the bed is gone'; stop.abort(); } }, 2000).unref();

log.write({ event: 'supervisor-start', args: consumerArgs, backoffMs: backoff.initialMs, maxBackoffMs: backoff.maxMs });
let entry: BackoffEntry | undefined;
let restarts = 0;
for (let run = 0; !stop.signal.aborted; run++) {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', consumerScript, ...consumerArgs],
    { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CONSUMER_RUN: String(run) } });
  log.write({ event: 'started', run });
  const onStop = () => child.kill('SIGTERM');
  stop.signal.addEventListener('abort', onStop);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  stop.signal.removeEventListener('abort', onStop);
  log.write({ event: 'exited', run, code, signal, uptimeMs: Date.now() - started });
  if (stop.signal.aborted) break;
  const next = nextRestart(entry, Date.now(), backoff);
  entry = next.entry;
  restarts++;
  log.write({ event: 'restarting', restarts, delayMs: Math.max(0, next.at - Date.now()) });
  await sleep(Math.max(0, next.at - Date.now()), undefined, { signal: stop.signal }).catch(() => {});
}
log.write({ event: 'supervisor-stop', restarts, why });
process.exit(0);
