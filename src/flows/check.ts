import { failed } from '../checks/catalog.js';
import { gate } from '../checks/gate.js';
import { evaluatePreflight } from '../checks/preflight.js';
import { gatherAll, type ClusterFacts } from '../checks/preflight-facts.js';
import type { ConnectedRun } from '../run/operator-run.js';
import type { ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import { lockTheClusters } from '../steps/lock.js';
import { resolveContexts } from '../steps/resolve-contexts.js';
import type { ProbeSettings } from '../defaults.js';
import type { ExecPlugins } from '../kube/exec-plugin.js';
import { checkRoutability } from '../routability/check.js';
import type { Reporter } from '../ui/reporter.js';
import type { Interrupt } from '../util/interrupt.js';
import { deadlineFrom } from '../util/wait.js';

export interface CheckOptions {
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  /** The command's exec credential plugins (its terminal, --no-input), shared by its clients. */
  plugins?: ExecPlugins;
  contexts: string[];
  controlPlane?: string;
  namespace: string;
  operatorVersion: string;
  skipCertManager: boolean;
  skipRoutability: boolean;
  /** --api-server: the addresses the data planes' registrations would hold. */
  apiServers: Record<string, string>;
  probe: ProbeSettings;
  timeoutMs: number;
  /** Ctrl-C: stops the requests and waits; the probe pods are still deleted. */
  interrupt?: Interrupt;
  requestTimeoutMs?: number;
}

interface CheckRun extends ConnectedRun { facts: ClusterFacts[] }

/** The clusters the probe runs in: those preflight reached. */
const reachable = (ctx: CheckRun) => ctx.targets.filter((t) => ctx.facts.find((f) => f.context === t.cluster.ctx.name)?.reachable).map((t) => t.cluster);

/**
 * `check`: resolve, preflight, routability; everything `install` verifies before it changes anything,
 * and nothing else. Every family runs and is recorded; the verdict comes at the end. The only objects
 * it creates are the temporary probe pods (and their namespace when it is missing), all deleted before
 * it ends.
 */
const checkSteps = (o: CheckOptions): Step<CheckRun>[] => [
  resolveContexts(o),
  preflightChecks(o),
  { ...lockTheClusters({ which: reachable }), skip: () => o.skipRoutability },
  routability(o),
  summarize(o),
];

export async function runCheck(o: CheckOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  const signal = o.interrupt?.signal;
  await runSteps<CheckRun>({ ui, report, deadline, signal, interrupt: o.interrupt, namespace: o.namespace, dryRun: false, force: false, targets: [], dataPlanes: [], facts: [],
    connection: { kubeconfig: o.kubeconfig, env: o.env, log: ui.verbose, signal, deadline, requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins } }, checkSteps(o),
    { reportClusters: false });
}

const preflightChecks = (o: CheckOptions): Step<CheckRun> => ({
  title: 'Preflight checks',
  async run(ctx, s) {
    ctx.facts = await gatherAll(ctx.targets.map((t) => t.cluster), (c) => (c === ctx.cp!.cluster.ctx.name ? 'control-plane' : 'data-plane'), o.namespace);
    gate(evaluatePreflight(ctx.facts, { controlPlane: ctx.cp!.cluster.ctx.name, namespace: o.namespace, operatorVersion: o.operatorVersion,
      installCertManager: !o.skipCertManager }), ctx, s, { record: true });
  },
});

/** A cluster that cannot be reached has already failed; the others are still worth probing. */
const routability = (o: CheckOptions): Step<CheckRun> => ({
  title: 'Routability between clusters',
  skip: () => o.skipRoutability,
  async run(ctx, s) {
    const probed = reachable(ctx);
    const r = await checkRoutability(probed, { ...o.probe, namespace: o.namespace, deadline: ctx.deadline, facts: ctx.facts,
      apiServers: { controlPlane: ctx.cp!.cluster, dataPlanes: ctx.dataPlanes.map((t) => t.cluster).filter((c) => probed.includes(c)), overrides: o.apiServers } },
    s.note, (what) => s.update(what));
    ctx.report.routability = r.report;
    gate(r.checks, ctx, s, { record: true });
  },
});

const summarize = (o: CheckOptions): Step<CheckRun> => ({
  title: 'summary', quiet: true,
  async run(ctx) {
    const bad = failed(ctx.report.checks);
    ctx.report.ok = bad.length === 0;
    ctx.report.failExit = bad.some((c) => c.id === 'K8S-REACHABLE') ? 'unreachable' : 'checksFailed';
    const probed = ctx.report.routability ? `, pod IPs probed on TCP ${o.probe.ports.join(', ')}` : '';
    ctx.report.summary = ctx.report.ok ? `${ctx.targets.length} cluster(s) ready for k8ssandra${probed}` : `${bad.length} check(s) failed${probed}: fix them before installing`;
  },
});
