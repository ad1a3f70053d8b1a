import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from '../errors.js';
import { connect, connectAll, type Cluster } from '../kube/connect.js';
import type { ExecPlugins } from '../kube/exec-plugin.js';
import { evaluateStatus, type StatusVerdict } from '../status/report.js';
import { gatherStatus } from '../status/gather.js';
import type { Reporter } from '../ui/reporter.js';
import type { ReportDraft } from '../run/report.js';

export interface StatusOptions {
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  /** The command's exec credential plugins (its terminal, --no-input), shared by its clients. */
  plugins?: ExecPlugins;
  /** The clusters to ask; empty: every context of the kubeconfig (those without the operator are left out). */
  contexts: string[];
  requestTimeoutMs: number;
  /** Ask again every intervalMs until healthy (or interrupted). */
  watch: boolean;
  intervalMs: number;
  /** Stops a watch (Ctrl-C); the last round is reported. */
  signal?: AbortSignal;
}

/**
 * `status`: resolve the contexts, ask every cluster in parallel (list calls only, a short timeout per
 * request and no retries, so one dead cluster costs one timeout), judge, report. With --watch, repeat
 * until everything is healthy; each round goes to stderr, the last one is the report.
 */
export async function runStatus(o: StatusOptions, ui: Reporter, out: ReportDraft): Promise<void> {
  const explicit = o.contexts.length > 0;
  const { clusters, skipped } = await ui.step('Resolve contexts', async (s) => {
    const opts = { kubeconfig: o.kubeconfig, env: o.env, requestTimeoutMs: o.requestTimeoutMs, retries: 0, log: ui.verbose, plugins: o.plugins };
    const r = explicit ? { clusters: await connect({ ...opts, contexts: o.contexts }), skipped: [] } : await connectAll(opts);
    s.note(explicit ? `${r.clusters.length} context(s) from --contexts` : `every context of the kubeconfig: ${r.clusters.map((c) => c.ctx.name).join(', ')}`);
    return r;
  });

  // Ctrl-C (o.signal) during --watch ends the watch with the last round as the report (exit code `interrupted`).
  await rounds(o, { clusters, skipped, explicit }, ui, out, o.signal ?? new AbortController().signal);
}

async function rounds(o: StatusOptions, found: { clusters: Cluster[]; skipped: { context: string; reason: string }[]; explicit: boolean },
  ui: Reporter, out: ReportDraft, signal: AbortSignal): Promise<void> {
  const { clusters, skipped, explicit } = found;
  for (let round = 1; ; round++) {
    const verdict = await ui.step(round === 1 ? 'Ask every cluster' : `Ask every cluster again (round ${round})`, async (s) => {
      const v = evaluateStatus({ contexts: await gatherStatus(clusters, { requestTimeoutMs: o.requestTimeoutMs, log: ui.verbose, env: o.env }), explicit, skipped, now: Date.now() });
      // A round of --watch that is not the last shows its failures; the report shows the last round's (once).
      if (o.watch) for (const c of v.checks.filter((c) => c.status === 'fail')) s.note(`${ui.style.mark.fail} [${c.id}] ${c.message}`);
      return v;
    });
    record(verdict, out);
    if (!o.watch || verdict.ok) return;
    ui.info(`not healthy yet; asking again in ${Math.round(o.intervalMs / 1000)}s (Ctrl-C stops)`);
    await pause(o.intervalMs, signal, clusters);
  }
}

function record(v: StatusVerdict, out: ReportDraft): void {
  out.clusters.splice(0, out.clusters.length, ...v.clusters);
  out.registrations.splice(0, out.registrations.length, ...v.registrations);
  out.checks.splice(0, out.checks.length, ...v.checks);
  out.k8ssandraClusters = v.k8ssandraClusters;
  out.requests = v.requests;
  out.summary = v.summary;
  out.ok = v.ok;
  out.failExit = v.failExit;
}

async function pause(ms: number, signal: AbortSignal, clusters: Cluster[]): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new CliError('interrupted', `stopped watching before ${clusters.length > 1 ? 'the clusters were' : 'the cluster was'} healthy`,
      { hint: 'the report above is the last round' });
  }
}
