// npm run bench: reproducible measurements on the test bed. Each figure is the median of several runs;
// baselines are measured side by side in the same run. Writes bench/results/<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { down, up } from '../testbed/bed.js';
import { kubeconfigPath } from '../testbed/paths.js';
import { sequentialKubectlInstall } from './baseline.js';

const root = path.resolve(import.meta.dirname, '..');
const upstream = path.resolve(root, '../shared/upstream');
const manifests = path.join(upstream, 'k8ssandra-operator-v1.32.5');
const certManager = path.join(upstream, 'cert-manager-v1.18.5/cert-manager-standin.yaml');
const NS = 'k8ssandra-operator';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, quick: { type: 'boolean' } } });
const RUNS = args.quick ? 3 : Number(args.runs);

interface Sample { ms: number; maxRssKb: number; exitCode: number; stdout: string; stderr: string }
interface Figure { name: string; medianMs: number; peakRssMb?: number; runs: number; note?: string }
const figures: Figure[] = [];
const ratios: { name: string; value: number; goal: string; met: boolean }[] = [];
const steps: { step: string; ms: number }[] = [];
const requests: { name: string; count?: number }[] = [];
let loadAtStart: number[] = [];

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** Runs a command under /usr/bin/time for wall time and peak memory. */
async function sample(cmd: string[], env: Record<string, string> = {}): Promise<Sample> {
  const t = Date.now();
  const r = await execa('/usr/bin/time', ['-f', '%M', ...cmd], { reject: false, env: { KUBECONFIG: kubeconfigPath, NO_COLOR: '1', ...env }, cwd: root });
  const ms = Date.now() - t;
  const lines = r.stderr.trimEnd().split('\n');
  const maxRssKb = Number(lines.pop());
  return { ms, maxRssKb, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: lines.join('\n') };
}

async function checked(name: string, cmd: string[], expectExit = 0): Promise<Sample> {
  const s = await sample(cmd);
  if (s.exitCode !== expectExit) throw new Error(`${name}: exit ${s.exitCode}\n${s.stdout.slice(0, 2000)}\n${s.stderr.slice(-2000)}`);
  return s;
}

function record(name: string, samples: Sample[], note?: string): Figure {
  const f = { name, medianMs: median(samples.map((s) => s.ms)), peakRssMb: Math.round(Math.max(...samples.map((s) => s.maxRssKb)) / 1024), runs: samples.length, note };
  figures.push(f);
  process.stderr.write(`[bench] ${name}: ${f.medianMs} ms (peak ${f.peakRssMb} MB)\n`);
  return f;
}

async function measure(name: string, cmd: string[], opts: { runs?: number; before?: () => Promise<void>; expectExit?: number; note?: string } = {}): Promise<Figure> {
  const samples: Sample[] = [];
  for (let i = 0; i < (opts.runs ?? RUNS); i++) {
    await opts.before?.();
    samples.push(await checked(name, cmd, opts.expectExit));
  }
  return record(name, samples, opts.note);
}

/** API requests of a status run, from its JSON report. */
const requestsOf = (s: Sample) => (JSON.parse(s.stdout) as { requests?: number }).requests;

const cli = (...a: string[]) => ['node', 'bin/k8ssandra.js', ...a];
const installArgs = (contexts: string) => cli('install', '--contexts', contexts, '--manifests', manifests, '--cert-manager-manifests', certManager, '--skip-routability', '--yes', '-q', '-o', 'json');

async function kubectl(ctx: string, ...a: string[]) {
  await execa('kubectl', ['--kubeconfig', kubeconfigPath, '--context', ctx, ...a], { reject: false });
}
/** Removes the operator release and cert-manager from a cluster, so the next install starts fresh. */
async function clean(contexts: string[]) {
  await Promise.all(contexts.map(async (c) => {
    await kubectl(c, 'delete', '-f', path.join(manifests, 'control-plane.yaml'), '--ignore-not-found', '--wait=true');
    await kubectl(c, 'delete', '-f', certManager, '--ignore-not-found', '--wait=true');
  }));
}
const ratio = (name: string, value: number, goal: string, met: boolean) => { ratios.push({ name, value: Math.round(value * 100) / 100, goal, met }); };

async function main() {
  loadAtStart = loadavg().map((l) => Math.round(l * 10) / 10);
  process.stderr.write(`[bench] ${RUNS} runs per figure\n`);
  // Start-up
  const bare = await measure('node -e 0 (baseline)', ['node', '-e', '0'], { runs: RUNS * 2 });
  const version = await measure('k8ssandra --version', cli('--version'), { runs: RUNS * 2 });
  const help = await measure('k8ssandra --help', cli('--help'), { runs: RUNS * 2 });
  ratio('--version / node -e 0', version.medianMs / bare.medianMs, '<= 1.5', version.medianMs <= 1.5 * bare.medianMs);
  ratio('--help / node -e 0', help.medianMs / bare.medianMs, '<= 1.5', help.medianMs <= 1.5 * bare.medianMs);

  await up({ clusters: 3 });
  const three = ['cp', 'dp1', 'dp2'];
  // install on 3 clusters vs the sequential kubectl way, vs the slowest single cluster alone
  // Side by side: each round runs our install and the kubectl baseline from the same fresh state.
  const ours: Sample[] = [];
  const baselineMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await clean(three);
    ours.push(await checked('install cp,dp1,dp2 (fresh)', installArgs(three.join(','))));
    await clean(three);
    const t = Date.now();
    await sequentialKubectlInstall({ kubeconfig: kubeconfigPath, controlPlane: 'cp', dataPlanes: ['dp1', 'dp2'], manifests, certManager, namespace: NS });
    baselineMs.push(Date.now() - t);
  }
  const install3 = record('install cp,dp1,dp2 (fresh)', ours);
  figures.push({ name: 'kubectl by hand, sequential (baseline)', medianMs: median(baselineMs), runs: RUNS });
  ratio('install 3 clusters / kubectl sequential', install3.medianMs / median(baselineMs), '< 1', install3.medianMs < median(baselineMs));

  // Where the time of a fresh install goes: the step lines on stderr carry each step's time.
  await clean(three);
  const progress = await sample(installArgs(three.join(',')).filter((a) => a !== '-q'));
  for (const m of progress.stderr.matchAll(/^\S+ (.+) \((\d+\.\d)s\)$/gm)) steps.push({ step: m[1]!, ms: Math.round(Number(m[2]) * 1000) });
  const singles: Figure[] = [];
  for (const c of three) singles.push(await measure(`install ${c} alone (fresh)`, installArgs(c), { before: () => clean(three) }));
  const slowest = Math.max(...singles.map((s) => s.medianMs));
  ratio('install 3 clusters / slowest single cluster', install3.medianMs / slowest, '<= 1.3', install3.medianMs <= 1.3 * slowest);
  await clean(three);
  await sample(installArgs(three.join(',')));
  const noop = await measure('install cp,dp1,dp2 (no-op re-run)', installArgs(three.join(',')));
  ratio('no-op re-run (s)', noop.medianMs / 1000, '< 5', noop.medianMs < 5000);

  // status on 3 and 6 clusters
  const status3 = await measure('status on 3 clusters', cli('status', '--contexts', three.join(','), '-o', 'json', '-q'));
  requests.push({ name: 'status on 3 clusters', count: requestsOf(await sample(cli('status', '--contexts', three.join(','), '-o', 'json', '-q'))) });
  ratio('status 3 clusters (s)', status3.medianMs / 1000, '< 1', status3.medianMs < 1000);
  await up({ clusters: 6 });
  const six = ['cp', 'dp1', 'dp2', 'dp3', 'dp4', 'dp5'];
  await sample(installArgs(six.join(',')));
  const status6 = await measure('status on 6 clusters', cli('status', '--contexts', six.join(','), '-o', 'json', '-q'));
  requests.push({ name: 'status on 6 clusters', count: requestsOf(await sample(cli('status', '--contexts', six.join(','), '-o', 'json', '-q'))) });
  ratio('status 6 / status 3', status6.medianMs / status3.medianMs, '<= 1.3', status6.medianMs <= 1.3 * status3.medianMs);

  // routability: 2, 3, 4 clusters
  const check: Record<number, Figure> = {};
  for (const n of [2, 3, 4]) {
    check[n] = await measure(`check (routability) on ${n} clusters`, cli('check', '--contexts', six.slice(0, n).join(','), '-o', 'json', '-q'), { runs: Math.max(3, RUNS - 2) });
  }
  ratio('check 4 clusters / check 2 clusters', check[4]!.medianMs / check[2]!.medianMs, 'pairs grow 6x; time must not', check[4]!.medianMs < 2 * check[2]!.medianMs);

  // The 6-cluster bed is the bench's own: the tests expect cp, dp1, dp2, so the next `up` starts fresh.
  await down();

  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAtStart };
  const result = { date: new Date().toISOString(), machine, runs: RUNS, figures, ratios, steps, requests };
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  const file = path.join(root, 'bench/results', `${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`\nmachine: ${machine.cpus} x ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node}; median of ${RUNS} runs\n`);
  console.log('| measurement | median | peak RSS |\n| --- | ---: | ---: |');
  for (const f of figures) console.log(`| ${f.name} | ${f.medianMs} ms | ${f.peakRssMb ?? '-'} MB |`);
  console.log('\n| goal | value | target | met |\n| --- | ---: | --- | --- |');
  for (const r of ratios) console.log(`| ${r.name} | ${r.value} | ${r.goal} | ${r.met ? 'yes' : 'NO'} |`);
  console.log('\n| step of a fresh install on 3 clusters | time |\n| --- | ---: |');
  for (const x of steps) console.log(`| ${x.step} | ${x.ms} ms |`);
  console.log('\n| API requests | count |\n| --- | ---: |');
  for (const x of requests) console.log(`| ${x.name} | ${x.count ?? '-'} |`);
  console.log(`\nwritten: ${path.relative(root, file)}`);
}

await main();
