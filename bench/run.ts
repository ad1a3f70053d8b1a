// npm run bench: reproducible measurements on the test bed. Each figure is the median of several runs;
// baselines are measured side by side in the same run. Writes bench/results/<timestamp>.json.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { parseAllDocuments, stringify } from 'yaml';
import { clusterPids } from '../testbed/kwokctl.js';
import { down, up } from '../testbed/bed.js';
import { kubeconfigPath } from '../testbed/paths.js';
import { sequentialKubectlInstall } from './baseline.js';

const root = path.resolve(import.meta.dirname, '..');
const upstream = path.resolve(root, '../shared/upstream');
const manifests = path.join(upstream, 'k8ssandra-operator-v1.32.5');
const manifestsV1291 = path.join(upstream, 'k8ssandra-operator-v1.29.1');
const certManager = path.join(upstream, 'cert-manager-v1.18.5/cert-manager-standin.yaml');
const NS = 'k8ssandra-operator';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, quick: { type: 'boolean' } } });
const RUNS = args.quick ? 3 : Number(args.runs);

interface Sample { ms: number; maxRssKb: number; exitCode: number; stdout: string; stderr: string; bedCpuS: number }
interface Figure { name: string; medianMs: number; peakRssMb?: number; runs: number; note?: string; /** CPU the bed's clusters spent serving it. */ bedCpuS?: number }
const figures: Figure[] = [];
const ratios: { name: string; value: number; goal: string; met: boolean }[] = [];
const steps: { step: string; ms: number }[] = [];
const requests: { name: string; count?: number }[] = [];
let loadAtStart: number[] = [];

const ALL_CONTEXTS = ['cp', 'dp1', 'dp2', 'dp3', 'dp4', 'dp5'];
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** Runs a command under /usr/bin/time for wall time and peak memory. */
async function sample(cmd: string[], env: Record<string, string> = {}): Promise<Sample> {
  const cpu = bedCpuSeconds(ALL_CONTEXTS);
  const t = Date.now();
  const r = await execa('/usr/bin/time', ['-f', '%M', ...cmd], { reject: false, env: { KUBECONFIG: kubeconfigPath, NO_COLOR: '1', ...env }, cwd: root });
  const ms = Date.now() - t;
  const lines = r.stderr.trimEnd().split('\n');
  const maxRssKb = Number(lines.pop());
  return { ms, maxRssKb, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: lines.join('\n'), bedCpuS: bedCpuSeconds(ALL_CONTEXTS) - cpu };
}

async function checked(name: string, cmd: string[], expectExit = 0): Promise<Sample> {
  const s = await sample(cmd);
  if (s.exitCode !== expectExit) throw new Error(`${name}: exit ${s.exitCode}\n${s.stdout.slice(0, 2000)}\n${s.stderr.slice(-2000)}`);
  return s;
}

function record(name: string, samples: Sample[], note?: string): Figure {
  const f = { name, medianMs: median(samples.map((s) => s.ms)), peakRssMb: Math.round(Math.max(...samples.map((s) => s.maxRssKb)) / 1024), runs: samples.length, note,
    bedCpuS: Math.round(median(samples.map((s) => s.bedCpuS)) * 10) / 10 };
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
// What `clean` deletes: the release and cert-manager without their Namespaces (a namespace takes the
// namespace controller a minute or more to finalize, and creating one is no part of what is measured).
const cleanDir = mkdtempSync(path.join(tmpdir(), 'bench-clean-'));
const withoutNamespaces = (file: string) => {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter((o) => o && o.kind !== 'Namespace');
  const out = path.join(cleanDir, path.basename(file));
  writeFileSync(out, docs.map((o) => stringify(o)).join('---\n'));
  return out;
};
const releaseFiles = [withoutNamespaces(path.join(manifests, 'control-plane.yaml')), withoutNamespaces(certManager)];

/** Removes the operator release, cert-manager and the registrations, so the next install starts fresh. */
async function clean(contexts: string[]) {
  await Promise.all(contexts.map(async (c) => {
    for (const f of releaseFiles) await kubectl(c, 'delete', '-f', f, '--ignore-not-found', '--wait=true');
    await kubectl(c, '-n', NS, 'delete', 'serviceaccount,rolebinding', 'k8ssandra-control-plane', '--ignore-not-found');
    await kubectl(c, '-n', NS, 'delete', 'secrets', '--all', '--ignore-not-found');
  }));
}

/** CPU seconds the bed's processes (API servers, etcd, controllers, scheduler, kwok) have used so far. */
function bedCpuSeconds(contexts: string[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const p of contexts.flatMap((c) => clusterPids(c)).filter((p) => p.alive)) {
    try {
      const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(f[11]) + Number(f[12])) / tick; // utime, stime
    } catch { /* gone */ }
  }
  return total;
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
  const baselineCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await clean(three);
    ours.push(await checked('install cp,dp1,dp2 (fresh)', installArgs(three.join(','))));
    await clean(three);
    const cpu = bedCpuSeconds(three);
    const t = Date.now();
    await sequentialKubectlInstall({ kubeconfig: kubeconfigPath, controlPlane: 'cp', dataPlanes: ['dp1', 'dp2'], manifests, certManager, namespace: NS });
    baselineMs.push(Date.now() - t);
    baselineCpu.push(bedCpuSeconds(three) - cpu);
  }
  const install3 = record('install cp,dp1,dp2 (fresh)', ours);
  figures.push({ name: 'kubectl by hand, sequential (baseline)', medianMs: median(baselineMs), runs: RUNS, bedCpuS: Math.round(median(baselineCpu) * 10) / 10 });
  ratio('install 3 clusters / kubectl sequential', install3.medianMs / median(baselineMs), '< 1', install3.medianMs < median(baselineMs));

  // Where the time of a fresh install goes: the step lines on stderr carry each step's time.
  await clean(three);
  const progress = await sample(installArgs(three.join(',')).filter((a) => a !== '-q'));
  for (const m of progress.stderr.matchAll(/^\S+ (.+) \((\d+\.\d)s\)$/gm)) steps.push({ step: m[1]!, ms: Math.round(Number(m[2]) * 1000) });
  const singles: Figure[] = [];
  for (const c of three) singles.push(await measure(`install ${c} alone (fresh)`, installArgs(c), { before: () => clean(three) }));
  const slowest = Math.max(...singles.map((s) => s.medianMs));
  ratio('install 3 clusters / slowest single cluster', install3.medianMs / slowest, '<= 1.3', install3.medianMs <= 1.3 * slowest);
  // The bed's clusters share this machine's cores: three installs at once cannot end sooner than the CPU
  // they need divided by the cores. Against that bound the ratio shows what the CLI itself adds.
  const cpuBoundMs = Math.max(slowest, (install3.bedCpuS ?? 0) * 1000 / cpus().length);
  figures.push({ name: `lower bound for 3 clusters on ${cpus().length} cores (max of slowest single, bed CPU / cores)`, medianMs: Math.round(cpuBoundMs), runs: RUNS });
  ratio('install 3 clusters / that lower bound', install3.medianMs / cpuBoundMs, '<= 1.3', install3.medianMs <= 1.3 * cpuBoundMs);
  await clean(three);
  await sample(installArgs(three.join(',')));
  const noop = await measure('install cp,dp1,dp2 (no-op re-run)', installArgs(three.join(',')));
  ratio('no-op re-run (s)', noop.medianMs / 1000, '< 5', noop.medianMs < 5000);

  // Upgrade of the same 3 clusters from v1.29.1 to v1.32.5, next to the fresh install above (same run, same bed).
  const upgrades: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    await clean(three);
    await checked('install v1.29.1', cli('install', '--contexts', three.join(','), '--manifests', manifestsV1291, '--cert-manager-manifests', certManager,
      '--skip-routability', '--yes', '-q', '-o', 'json'));
    upgrades.push(await checked('upgrade cp,dp1,dp2 v1.29.1 -> v1.32.5', cli('upgrade', '--contexts', three.join(','), '--manifests', manifests, '--yes', '-q', '-o', 'json')));
  }
  const upgrade3 = record('upgrade cp,dp1,dp2 v1.29.1 -> v1.32.5', upgrades, 'CRDs everywhere, then data planes, then the control plane, each stage waited for');
  ratio('upgrade 3 clusters / fresh install 3 clusters', upgrade3.medianMs / install3.medianMs, '<= 1.5', upgrade3.medianMs <= 1.5 * install3.medianMs);
  await clean(three);
  await sample(installArgs(three.join(',')));

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
  console.log('| measurement | median | peak RSS | bed CPU |\n| --- | ---: | ---: | ---: |');
  for (const f of figures) console.log(`| ${f.name} | ${f.medianMs} ms | ${f.peakRssMb ?? '-'} MB | ${f.bedCpuS ?? '-'} s |`);
  console.log('\n| goal | value | target | met |\n| --- | ---: | --- | --- |');
  for (const r of ratios) console.log(`| ${r.name} | ${r.value} | ${r.goal} | ${r.met ? 'yes' : 'NO'} |`);
  console.log('\n| step of a fresh install on 3 clusters | time |\n| --- | ---: |');
  for (const x of steps) console.log(`| ${x.step} | ${x.ms} ms |`);
  console.log('\n| API requests | count |\n| --- | ---: |');
  for (const x of requests) console.log(`| ${x.name} | ${x.count ?? '-'} |`);
  console.log(`\nwritten: ${path.relative(root, file)}`);
}

await main();
