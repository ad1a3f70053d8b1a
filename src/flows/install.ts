import { countChanges } from '../report/model.js';
import type { ReportDraft } from '../run/report.js';
import type { ClusterFlowOptions } from '../run/flow-options.js';
import { connectedRun, type OperatorRun } from '../run/operator-run.js';
import { runSteps, type Step } from '../run/steps.js';
import type { Target } from '../run/target.js';
import { installOperators } from '../steps/install-operator.js';
import { loadCertManagerIfNeeded, loadRelease } from '../steps/load-release.js';
import { readThenLock } from '../steps/lock.js';
import { preflight } from '../steps/preflight.js';
import { routabilityBetweenAll } from '../steps/probe-routability.js';
import { register } from '../steps/register.js';
import { confirm, warnForce } from '../steps/confirm.js';
import { resolveContexts } from '../steps/resolve-contexts.js';
import type { ProbeSettings } from '../defaults.js';
import { waitOperators } from '../steps/wait-operators.js';
import type { Reporter } from '../ui/reporter.js';

export interface InstallOptions extends ClusterFlowOptions {
  operatorVersion?: string;
  manifests?: string;
  certManagerManifests?: string;
  skipCertManager: boolean;
  clusterScoped: boolean;
  skipRoutability: boolean;
  /** Ports, image and timeout of the routability probe (default: the Cassandra ports, busybox, 2s). */
  probe?: ProbeSettings;
  apiServers: Record<string, string>;
  tokenTtlSeconds: number;
  confirm: (question: string) => Promise<boolean>;
  /** Mint fresh tokens for every registration (rotation), even where the stored ones still work. */
  rotateTokens?: boolean;
  /** Only bounded tokens, even where the API server caps them (see RegisterOptions.boundedTokens). */
  boundedTokens?: boolean;
}

/** `install`, as the user sees it run: one line per step; every cluster is worked on in parallel within a step. */
const installSteps = (o: InstallOptions): Step<OperatorRun>[] => [
  resolveContexts(o),
  intoEveryCluster,
  warnForce('fields that other field managers own will be taken over, and an operator of another version replaced'),
  loadRelease,
  ...readThenLock([preflight]),
  routabilityBetweenAll({ skip: o.skipRoutability, probe: o.probe }),
  loadCertManagerIfNeeded,
  confirm((ctx) => `Install k8ssandra-operator ${ctx.release!.version} into ${ctx.targets.map((t) => `${t.cluster.ctx.name} (${t.role})`).join(', ')}?`, 'install', o.confirm),
  installOperators,
  register,
  waitOperators,
  summarize,
];

export async function runInstall(o: InstallOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  const ctx: OperatorRun = {
    ...connectedRun(o, ui, report),
    releaseSource: { manifests: o.manifests, operatorVersion: o.operatorVersion, clusterScoped: o.clusterScoped },
    certManagerSource: { certManagerManifests: o.certManagerManifests, skipCertManager: o.skipCertManager },
    registration: { clusterScoped: o.clusterScoped, tokenTtlSeconds: o.tokenTtlSeconds, apiServers: o.apiServers, rotate: o.rotateTokens, boundedTokens: o.boundedTokens },
    installInto: [], peers: [], records: new Map(), facts: [],
  };
  await runSteps(ctx, installSteps(o));
}

/** install puts the operator into every cluster it was given. */
const intoEveryCluster: Step<OperatorRun> = { title: 'plan', quiet: true, async run(ctx) { ctx.installInto = ctx.targets; } };

const summarize: Step<OperatorRun> = {
  title: 'summary', quiet: true,
  async run(ctx) {
    const version = ctx.release!.version;
    const changed = ctx.targets.some((t) => { const c = countChanges(t.objects); return c.created + c.changed > 0; });
    ctx.report.summary = ctx.dryRun
      ? `dry run: ${describeChanges(ctx.targets)}; nothing was changed`
      : changed ? `installed k8ssandra-operator ${version}: ${describeChanges(ctx.targets)}`
        : `k8ssandra-operator ${version} is already installed as planned: nothing changed`;
    ctx.report.ok = ctx.dryRun || !ctx.wait || ctx.targets.every((t) => t.ready);
  },
};

export function describeChanges(targets: Target[]): string {
  return targets.map((t) => {
    const c = countChanges(t.objects);
    return `${t.cluster.ctx.name} ${c.created} created, ${c.changed} changed, ${c.unchanged} unchanged`;
  }).join('; ');
}
