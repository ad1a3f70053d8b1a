// npm run bench: reproducible measurements on the test bed. Each figure is the median of several runs;
// baselines are measured side by side in the same run. Writes bench/results/<timestamp>.json.
//   --runs N     runs per figure (default 5)
//   --quick      3 runs of the light figures, 1 of the heavy ones (fresh installs, upgrades), neither the
//                kubectl install baseline nor each cluster alone: every goal in under 10 minutes
//   --only a,b   only these sections: startup, install, upgrade, scale, status, check
// The bed has three clusters for the 3-cluster installs and the upgrade, then ten: status and check on 3
// use cp, dp1, dp2 of those ten, so that 3 and 10 are measured under the same conditions.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { parseAllDocuments, stringify } from 'yaml';
import { clusterPids } from '../testbed/kwokctl.js';
import { contextName, down, up } from '../testbed/bed.js';
import { kubeCacheDir, kubeconfigPath } from '../testbed/paths.js';
import { sequentialKubectlInstall } from './baseline.js';

const root = path.resolve(import.meta.dirname, '..');
const upstream = path.resolve(root, '../shared/upstream');
const manifests = path.join(upstream, 'k8ssandra-operator-v1.32.5');
const manifestsV1291 = path.join(upstream, 'k8ssandra-operator-v1.29.1');
const certManager = path.join(upstream, 'cert-manager-v1.18.5/cert-manager-standin.yaml');
const NS = 'k8ssandra-operator';
const SECTIONS = ['startup', 'install', 'upgrade', 'scale', 'status', 'check'] as const;

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, quick: { type: 'boolean' }, only: { type: 'string' } } });
const RUNS = args.quick ? 3 : Number(args.runs);
/** Runs of the figures that each take a fresh install (tens of seconds). */
const HEAVY_RUNS = args.quick ? 1 : RUNS;
const only = new Set(args.only ? args.only.split(',') : SECTIONS);
for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);

interface Sample { ms: number; maxRssKb: number; exitCode: number; stdout: string; stderr: string; bedCpuS: number }
interface Figure { name: string; medianMs: number; peakRssMb?: number; runs: number; note?: string; /** CPU the bed's clusters spent serving it. */ bedCpuS?: number }
const figures: Figure[] = [];
const ratios: { name: string; value: number; goal: string; met: boolean }[] = [];
const steps: { step: string; ms: number }[] = [];
const requests: { name: string; count?: number }[] = [];

const benchStart = Date.now();
const TEN = Array.from({ length: 10 }, (_, i) => contextName(i));
const THREE = TEN.slice(0, 3);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs a command under /usr/bin/time for wall time and peak memory. */
async function sample(cmd: string[]): Promise<Sample> {
  const cpu = bedCpuSeconds(TEN);
  const t = Date.now();
  const r = await execa('/usr/bin/time', ['-f', '%M', ...cmd], { reject: false, env: { KUBECONFIG: kubeconfigPath, KUBECACHEDIR: kubeCacheDir, NO_COLOR: '1' }, cwd: root });
  const ms = Date.now() - t;
  const lines = r.stderr.trimEnd().split('\n');
  const maxRssKb = Number(lines.pop());
  return { ms, maxRssKb, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: lines.join('\n'), bedCpuS: bedCpuSeconds(TEN) - cpu };
}

async function checked(name: string, cmd: string[], expectExit = 0): Promise<Sample> {
  const s = await sample(cmd);
  if (s.exitCode !== expectExit) throw new Error(`${name}: exit ${s.exitCode}\n${whyFailed(s)}\n${s.stderr.slice(-2000)}`);
  return s;
}

/** The error and the failed checks of a JSON report (the whole report is too long to read in a log). */
function whyFailed(s: Sample): string {
  try {
    const r = JSON.parse(s.stdout) as { error?: unknown; checks?: { status: string }[] };
    return JSON.stringify({ error: r.error, failed: r.checks?.filter((c) => c.status === 'fail') }, null, 1);
  } catch {
    return s.stdout.slice(0, 2000);
  }
}

function record(name: string, samples: Sample[], note?: string): Figure {
  const f = { name, medianMs: median(samples.map((s) => s.ms)), peakRssMb: Math.round(Math.max(...samples.map((s) => s.maxRssKb)) / 1024), runs: samples.length, note,
    bedCpuS: round1(median(samples.map((s) => s.bedCpuS))) };
  figures.push(f);
  process.stderr.write(`[bench +${Math.round((Date.now() - benchStart) / 1000)}s] ${name}: ${f.medianMs} ms (peak ${f.peakRssMb} MB, bed CPU ${f.bedCpuS} s)\n`);
  return f;
}

async function measure(name: string, cmd: string[], opts: { runs?: number; before?: () => Promise<void>; note?: string } = {}): Promise<Figure> {
  const samples: Sample[] = [];
  for (let i = 0; i < (opts.runs ?? RUNS); i++) {
    await opts.before?.();
    samples.push(await checked(name, cmd));
  }
  return record(name, samples, opts.note);
}

/** Several commands measured in alternating rounds, so that a slow moment of the machine hits them all alike. */
async function sideBySide(entries: { name: string; cmd: string[] }[], runs = RUNS): Promise<Figure[]> {
  const samples = entries.map(() => [] as Sample[]);
  for (let i = 0; i < runs; i++) for (const [k, e] of entries.entries()) samples[k]!.push(await checked(e.name, e.cmd));
  return entries.map((e, k) => record(e.name, samples[k]!));
}

/** API requests of a status run, from its JSON report. */
const requestsOf = (s: Sample) => (JSON.parse(s.stdout) as { requests?: number }).requests;
/** API requests of a run with --verbose (and without -q, which silences it): one line per answer ("ctx: GET /path -> 200 (3 ms)"). */
const answersIn = (s: Sample) => s.stderr.split('\n').filter((l) => / -> \d{3} \(\d+ ms\)$/.test(l)).length;

const cli = (...a: string[]) => ['node', 'bin/k8ssandra.js', ...a];
/** An install as CI runs it: JSON on stdout; with `progress`, the step lines (and their times) on stderr. */
const installArgs = (contexts: string[], release = manifests, progress = false) => cli('install', '--contexts', contexts.join(','), '--manifests', release,
  '--cert-manager-manifests', certManager, '--skip-routability', '--yes', ...(progress ? [] : ['-q']), '-o', 'json');

async function kubectl(ctx: string, ...a: string[]) {
  return execa('kubectl', ['--kubeconfig', kubeconfigPath, '--context', ctx, ...a], { reject: false, env: { KUBECACHEDIR: kubeCacheDir } });
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
    await kubectl(c, '-n', NS, 'delete', 'secrets,configmaps', '--all', '--ignore-not-found');
  }));
}

/** The release installed (not measured), for the sections that read or re-apply it. */
const installed = async (contexts: string[]) => { await checked(`install ${contexts.join(',')}`, installArgs(contexts)); };

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

/** Start-up: what every command pays before its first request. */
async function startup() {
  const [bare, version, help] = await sideBySide([
    { name: 'node -e 0 (baseline)', cmd: ['node', '-e', '0'] },
    { name: 'k8ssandra --version', cmd: cli('--version') },
    { name: 'k8ssandra --help', cmd: cli('--help') },
  ], RUNS * 4);
  ratio('--version / node -e 0', version!.medianMs / bare!.medianMs, '<= 1.2', version!.medianMs <= 1.2 * bare!.medianMs);
  ratio('--help / node -e 0', help!.medianMs / bare!.medianMs, '<= 1.5', help!.medianMs <= 1.5 * bare!.medianMs);
}

/**
 * The lower bound of a parallel install on this machine: it cannot end before the slowest single
 * cluster alone, nor before the CPU the bed's clusters need divided by the cores they share.
 */
function cpuBound(contexts: string[], install: Figure, slowestSingleMs: number): number {
  const bound = Math.max(slowestSingleMs, (install.bedCpuS ?? 0) * 1000 / cpus().length);
  figures.push({ name: `lower bound for ${contexts.length} clusters on ${cpus().length} cores (max of slowest single, bed CPU / cores)`, medianMs: Math.round(bound), runs: install.runs });
  return bound;
}

let install3: Figure | undefined;
let slowestSingle = 0;

/** A fresh install of 3 clusters, beside the kubectl way and each cluster alone (full runs), and its no-op re-run. */
async function install() {
  const ours: Sample[] = [];
  const baselineMs: number[] = [];
  const baselineCpu: number[] = [];
  for (let i = 0; i < HEAVY_RUNS; i++) {
    await clean(THREE);
    ours.push(await checked('install cp,dp1,dp2 (fresh)', installArgs(THREE, manifests, true)));
    if (args.quick) continue;
    await clean(THREE);
    const cpu = bedCpuSeconds(THREE);
    const t = Date.now();
    await sequentialKubectlInstall({ kubeconfig: kubeconfigPath, controlPlane: 'cp', dataPlanes: ['dp1', 'dp2'], manifests, certManager, namespace: NS });
    baselineMs.push(Date.now() - t);
    baselineCpu.push(bedCpuSeconds(THREE) - cpu);
  }
  install3 = record('install cp,dp1,dp2 (fresh)', ours);
  if (baselineMs.length) {
    figures.push({ name: 'kubectl by hand, sequential (baseline)', medianMs: median(baselineMs), runs: baselineMs.length, bedCpuS: round1(median(baselineCpu)) });
    ratio('install 3 clusters / kubectl sequential', install3.medianMs / median(baselineMs), '< 1', install3.medianMs < median(baselineMs));
  }

  // Where the time of a fresh install goes: the step lines on stderr carry each step's time.
  for (const m of ours[0]!.stderr.matchAll(/^\S+ (.+) \((\d+\.\d)s\)$/gm)) steps.push({ step: m[1]!, ms: Math.round(Number(m[2]) * 1000) });
  // Each cluster alone (full runs): on 2 cores the bed's CPU bounds 3 clusters long before the slowest
  // single one does, so --quick leaves them out and the bound is the CPU one.
  if (!args.quick) {
    const single: Figure[] = [];
    for (const c of THREE) single.push(await measure(`install ${c} alone (fresh)`, installArgs([c]), { runs: HEAVY_RUNS, before: () => clean(THREE) }));
    slowestSingle = Math.max(...single.map((s) => s.medianMs));
    ratio('install 3 clusters / slowest single cluster', install3.medianMs / slowestSingle, '<= 1.3', install3.medianMs <= 1.3 * slowestSingle);
    await clean(THREE);
    await installed(THREE);
  }
  const bound = cpuBound(THREE, install3, slowestSingle);
  ratio('install 3 clusters / its CPU bound', install3.medianMs / bound, '<= 1.3', install3.medianMs <= 1.3 * bound);
  const noop = await measure('install cp,dp1,dp2 (no-op re-run)', installArgs(THREE));
  ratio('no-op re-run of install on 3 clusters (s)', noop.medianMs / 1000, '< 5', noop.medianMs < 5000);
}

/** Issue 17: the upgrade of 3 clusters from v1.29.1 to v1.32.5, next to the fresh install of the same 3. */
async function upgrade() {
  const upgrades: Sample[] = [];
  for (let i = 0; i < HEAVY_RUNS; i++) {
    await clean(THREE);
    await checked('install v1.29.1', installArgs(THREE, manifestsV1291));
    upgrades.push(await checked('upgrade cp,dp1,dp2 v1.29.1 -> v1.32.5', cli('upgrade', '--contexts', THREE.join(','), '--manifests', manifests, '--yes', '-q', '-o', 'json')));
  }
  const upgrade3 = record('upgrade cp,dp1,dp2 v1.29.1 -> v1.32.5', upgrades, 'CRDs everywhere, then data planes, then the control plane, each stage waited for');
  if (install3) ratio('upgrade 3 clusters / fresh install 3 clusters', upgrade3.medianMs / install3.medianMs, '<= 1.5', upgrade3.medianMs <= 1.5 * install3.medianMs);
}

/** Ten clusters: a fresh install against its CPU bound, and a no-op re-run. */
async function scale() {
  const fresh: Sample[] = [];
  for (let i = 0; i < HEAVY_RUNS; i++) {
    await clean(TEN);
    fresh.push(await checked('install 10 clusters (fresh)', installArgs(TEN)));
  }
  const install10 = record('install 10 clusters (fresh)', fresh);
  const bound = cpuBound(TEN, install10, slowestSingle);
  ratio('install 10 clusters / its CPU bound', install10.medianMs / bound, '<= 1.3', install10.medianMs <= 1.3 * bound);
  // Beside it, in the same rounds, the floor of any command that reads each of the ten clusters once.
  const kubeconfigJson = path.join(mkdtempSync(path.join(tmpdir(), 'bench-kc-')), 'kubeconfig.json');
  writeFileSync(kubeconfigJson, (await execa('kubectl', ['--kubeconfig', kubeconfigPath, 'config', 'view', '--raw', '-o', 'json'])).stdout, { mode: 0o600 });
  const [noop, floor] = await sideBySide([
    { name: 'install 10 clusters (no-op re-run)', cmd: installArgs(TEN) },
    { name: 'floor: bare Node reads /version from each of the 10 clusters once, at once (baseline)', cmd: ['node', 'bench/floor.mjs', kubeconfigJson] },
  ]);
  requests.push({ name: 'no-op install on 10 clusters (as the user: not counting the stored credentials\' checks)', count: answersIn(await sample([...installArgs(TEN, manifests, true), '-v'])) });
  ratio('no-op re-run of install on 10 clusters (s)', noop!.medianMs / 1000, '< 1', noop!.medianMs < 1000);
  process.stderr.write(`[bench] no-op install on 10 clusters: ${round1(noop!.medianMs / floor!.medianMs)}x the floor of one read per cluster\n`);
}

// What status reads, as kubectl would list it: one kubectl per context, all at once (a script's `&`).
const STATUS_KINDS = 'deployments.apps,statefulsets.apps,cassandradatacenters.cassandra.datastax.com,clientconfigs.config.k8ssandra.io,k8ssandraclusters.k8ssandra.io,configmaps,secrets';

/** status on 3 and 10 clusters, and kubectl listing the same kinds in the same 3 contexts. */
async function status() {
  await installed(TEN);
  const script = `for c in ${THREE.join(' ')}; do kubectl --kubeconfig ${kubeconfigPath} --context $c get ${STATUS_KINDS} -A -o json >/dev/null & done; wait`;
  const [s3, s10, k3] = await sideBySide([
    { name: 'status on 3 clusters', cmd: cli('status', '--contexts', THREE.join(','), '-o', 'json', '-q') },
    { name: 'status on 10 clusters', cmd: cli('status', '--contexts', TEN.join(','), '-o', 'json', '-q') },
    { name: 'kubectl get (the kinds status reads) in 3 contexts at once (baseline)', cmd: ['bash', '-c', script] },
  ]);
  for (const n of [3, 10]) {
    requests.push({ name: `status on ${n} clusters`, count: requestsOf(await sample(cli('status', '--contexts', TEN.slice(0, n).join(','), '-o', 'json', '-q'))) });
  }
  ratio('status 10 clusters / status 3 clusters', s10!.medianMs / s3!.medianMs, '<= 1.5', s10!.medianMs <= 1.5 * s3!.medianMs);
  ratio('status 3 clusters / kubectl listing the same', s3!.medianMs / k3!.medianMs, '<= 0.7', s3!.medianMs <= 0.7 * k3!.medianMs);
}

/** The routability probe: 6 ordered pairs on 3 clusters, 90 on 10. */
async function check() {
  await installed(TEN);
  const [c3, c10] = await sideBySide([
    { name: 'check (routability) on 3 clusters, 6 pairs', cmd: cli('check', '--contexts', THREE.join(','), '-o', 'json', '-q') },
    { name: 'check (routability) on 10 clusters, 90 pairs', cmd: cli('check', '--contexts', TEN.join(','), '-o', 'json', '-q') },
  ], Math.max(3, RUNS - 2));
  ratio('check 10 clusters / check 3 clusters', c10!.medianMs / c3!.medianMs, '<= 2 (pairs grow 15x)', c10!.medianMs <= 2 * c3!.medianMs);
}

async function main() {
  const started = benchStart;
  const loadAtStart = loadavg().map(round1);
  process.stderr.write(`[bench] ${RUNS} runs per figure (${HEAVY_RUNS} of each fresh install); sections: ${[...only].join(', ')}\n`);
  if (only.has('startup')) await startup();
  if (SECTIONS.some((s) => s !== 'startup' && only.has(s))) {
    // Three clusters for the 3-cluster installs and the upgrade; ten for the rest, where 3 and 10 are
    // measured side by side on the same bed.
    await up({ clusters: 3 });
    if (only.has('install')) await install();
    if (only.has('upgrade')) await upgrade();
    const bed = Date.now();
    await up({ clusters: 10 });
    figures.push({ name: 'test bed grown from 3 to 10 clusters (not a goal)', medianMs: Date.now() - bed, runs: 1 });
    if (only.has('scale')) await scale();
    if (only.has('status')) await status();
    if (only.has('check')) await check();
    // The 10-cluster bed is the bench's own: the tests expect cp, dp1, dp2 and a fresh start.
    await down();
  }
  const totalMs = Date.now() - started;
  if (args.quick && only.size === SECTIONS.length) ratio('npm run bench -- --quick (min)', totalMs / 60_000, '< 10', totalMs < 600_000);

  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAtStart };
  const result = { date: new Date().toISOString(), machine, runs: RUNS, heavyRuns: HEAVY_RUNS, quick: !!args.quick, sections: [...only], totalMs, figures, ratios, steps, requests };
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  const file = path.join(root, 'bench/results', `${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`\nmachine: ${machine.cpus} x ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node}, load at start ${loadAtStart.join(' ')}; `
    + `median of ${RUNS} runs (${HEAVY_RUNS} of each fresh install); ${round1(totalMs / 60_000)} min in all\n`);
  console.log('| measurement | median | peak RSS | bed CPU |\n| --- | ---: | ---: | ---: |');
  for (const f of figures) console.log(`| ${f.name} | ${f.medianMs} ms | ${f.peakRssMb ?? '-'} MB | ${f.bedCpuS ?? '-'} s |`);
  console.log('\n| goal | value | target | met |\n| --- | ---: | --- | --- |');
  for (const r of ratios) console.log(`| ${r.name} | ${r.value} | ${r.goal} | ${r.met ? 'yes' : 'NO'} |`);
  if (steps.length) console.log('\n| step of a fresh install on 3 clusters | time |\n| --- | ---: |');
  for (const x of steps) console.log(`| ${x.step} | ${x.ms} ms |`);
  if (requests.length) console.log('\n| API requests | count |\n| --- | ---: |');
  for (const x of requests) console.log(`| ${x.name} | ${x.count ?? '-'} |`);
  console.log(`\nwritten: ${path.relative(root, file)}`);
}

await main();
