import { check, type Check } from '../checks/catalog.js';
import { gate } from '../checks/gate.js';
import { CliError } from '../errors.js';
import { findOperators } from '../kube/operators.js';
import type { ClusterFlowOptions } from '../run/flow-options.js';
import { forEachCluster } from '../run/fan-out.js';
import { connectedRun, type RegisterRun } from '../run/operator-run.js';
import type { ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import { register } from '../steps/register.js';
import { warnForce } from '../steps/confirm.js';
import { lockTheClusters } from '../steps/lock.js';
import { resolveContexts } from '../steps/resolve-contexts.js';
import { waitControlPlane } from '../steps/wait-operators.js';
import type { Reporter } from '../ui/reporter.js';

/** `contexts`: the control plane first (unless `controlPlane` names it), then the data planes to register. */
export interface RegisterFlowOptions extends ClusterFlowOptions {
  clusterScoped: boolean;
  apiServers: Record<string, string>;
  tokenTtlSeconds: number;
  /** Mint fresh tokens for every data plane and replace the stored ones in one batch. */
  rotate: boolean;
  boundedTokens?: boolean;
}

type RegisterFlowRun = RegisterRun & { wait: boolean };

/**
 * `register` (and `register --rotate`): (re)writes the registrations of data planes whose operator is
 * installed, with the same step as install, then waits for the control-plane operator, which restarts
 * when its ClientConfigs or their Secrets change. Rotation never interrupts the operator: the new
 * tokens are checked before they are stored, and the old ones stay valid until they expire.
 */
const registerSteps = (o: RegisterFlowOptions): Step<RegisterFlowRun>[] => [
  resolveContexts(o),
  needsADataPlane,
  warnForce('fields that other field managers own will be taken over'),
  findTheOperators(o),
  lockTheClusters(),
  register,
  waitControlPlane,
  summarize,
];

export async function runRegister(o: RegisterFlowOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  await runSteps<RegisterFlowRun>({
    ...connectedRun(o, ui, report),
    registration: { clusterScoped: o.clusterScoped, tokenTtlSeconds: o.tokenTtlSeconds, apiServers: o.apiServers, rotate: o.rotate, boundedTokens: o.boundedTokens },
  }, registerSteps(o));
}

const needsADataPlane: Step<RegisterFlowRun> = {
  title: 'data planes', quiet: true,
  async run(ctx) {
    if (!ctx.dataPlanes.length) {
      throw new CliError('usage', 'register needs a control plane and at least one data plane', { hint: `e.g. --contexts ${ctx.cp!.cluster.ctx.name},DATA-PLANE` });
    }
  },
};

/** The control plane must run the control-plane operator, each data plane the data-plane one, in the namespace. */
const findTheOperators = (o: RegisterFlowOptions): Step<RegisterFlowRun> => ({
  title: 'Find the operators',
  async run(ctx, s) {
    const checks: Check[] = [];
    await forEachCluster('find the operators', ctx.targets, async (t) => {
      const context = t.cluster.ctx.name;
      const op = (await findOperators(t.cluster.client)).find((x) => x.namespace === ctx.namespace);
      t.operatorVersion = op?.version;
      // A data plane's operator is not waited for here: it does not restart when it is registered.
      t.ready = t !== ctx.cp;
      checks.push(!op ? check('OPERATOR-EXISTING', 'fail', `${context} has no k8ssandra-operator in namespace ${ctx.namespace}`,
        { context, hint: `install it first: k8ssandra install --contexts ${o.contexts.join(',')}` })
        : op.mode !== t.role ? check('OPERATOR-EXISTING', 'fail', `${context} runs the operator as ${op.mode}, not ${t.role}`,
          { context, hint: t.role === 'control-plane' ? 'name the control plane first in --contexts, or with --control-plane' : 'a control plane cannot be registered as a data plane' })
          : check('OPERATOR-EXISTING', 'pass', `operator ${op.version ?? ''} runs as ${t.role}`.replace('  ', ' '), { context }));
    });
    // In the order of --contexts, whichever answered first.
    checks.sort((a, b) => ctx.targets.findIndex((t) => t.cluster.ctx.name === a.context) - ctx.targets.findIndex((t) => t.cluster.ctx.name === b.context));
    gate(checks, ctx, s);
  },
});

const summarize: Step<RegisterFlowRun> = {
  title: 'summary', quiet: true,
  async run(ctx) {
    const regs = ctx.report.registrations;
    const cp = ctx.cp!.cluster.ctx.name;
    const dps = ctx.dataPlanes.map((d) => d.cluster.ctx.name).join(', ');
    const changed = regs.filter((g) => g.action !== 'unchanged').map((g) => g.context);
    const expiry = regs.map((g) => g.tokenExpiresAt?.slice(0, 10)).filter(Boolean).sort()[0];
    const rotate = ctx.registration.rotate;
    ctx.report.summary = ctx.dryRun ? `dry run: would ${rotate ? 'rotate the tokens of' : 'register'} ${dps}; nothing was changed`
      : rotate ? `rotated the tokens of ${changed.join(', ')} (new tokens expire ${expiry ?? 'as the server decides'}; the old ones stay valid until they expire)`
        : changed.length ? `registered ${changed.join(', ')} with ${cp}` : `${dps} already registered with ${cp} as planned: nothing changed`;
    ctx.report.ok = ctx.dryRun || ((!ctx.wait || ctx.cp!.ready) && regs.every((g) => g.verified));
  },
};
