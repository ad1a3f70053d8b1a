import { check, failed, type Check } from '../checks/catalog.js';
import { CliError } from '../errors.js';
import { OPERATOR_DEPLOYMENT, type Role } from '../manifests/operator-release.js';
import { countChanges, type ClusterReport } from '../report/model.js';
import { takeoverWarnings, waitDeploymentsAvailable, type AppliedObject } from '../steps/apply.js';
import { resolveTopology, type Cluster } from '../steps/connect.js';
import { findOperators, type ExistingOperator } from '../steps/preflight.js';
import { registerDataPlanes } from '../steps/register.js';
import type { Reporter } from '../ui/reporter.js';
import { deadlineFrom } from '../util/wait.js';
import type { ClusterFlowOptions, FlowResult } from './result.js';

/** `contexts`: the control plane first (unless `controlPlane` names it), then the data planes to register. */
export interface RegisterFlowOptions extends ClusterFlowOptions {
  clusterScoped: boolean;
  apiServers: Record<string, string>;
  tokenTtlSeconds: number;
  /** Mint fresh tokens for every data plane and replace the stored ones in one batch. */
  rotate: boolean;
}

/**
 * `register` (and `register --rotate`): (re)writes the registrations of data planes whose operator is
 * installed, using the same step as install, then waits for the control-plane operator, which restarts
 * when its ClientConfigs or their Secrets change. Rotation never interrupts the operator: the new
 * tokens are checked before they are stored, and the old ones stay valid until they expire.
 */
export async function runRegister(o: RegisterFlowOptions, ui: Reporter, out: FlowResult): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  out.dryRun = o.dryRun;
  const { clusters, cp, dataPlanes, roleOf } = await resolveTopology(ui, { kubeconfig: o.kubeconfig, contexts: o.contexts, controlPlane: o.controlPlane,
    log: ui.verbose, signal: o.interrupt?.signal, deadline, requestTimeoutMs: o.requestTimeoutMs });
  if (!dataPlanes.length) {
    throw new CliError('usage', 'register needs a control plane and at least one data plane', { hint: `e.g. --contexts ${cp.ctx.name},DATA-PLANE` });
  }
  if (o.force) ui.warn('--force: fields that other field managers own will be taken over');

  const operators = await ui.step('Find the operators', async (s) => {
    const found = new Map<string, ExistingOperator | undefined>();
    await Promise.all(clusters.map(async (c) => {
      found.set(c.ctx.name, (await findOperators(c.client)).find((op) => op.namespace === o.namespace));
    }));
    const checks = clusters.map((c) => operatorCheck(c.ctx.name, roleOf(c.ctx.name), found.get(c.ctx.name), o));
    out.checks.push(...checks);
    for (const c of checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
    const bad = failed(checks);
    if (bad.length) throw new CliError('checksFailed', bad[0]!.message, { hint: bad[0]!.hint });
    return found;
  });

  const applied = new Map<string, AppliedObject[]>();
  await ui.step(o.rotate ? 'Rotate the data planes\' tokens' : 'Register data planes with the control plane', async (s) => {
    const r = await registerDataPlanes(cp, dataPlanes, { namespace: o.namespace, clusterScoped: o.clusterScoped, dryRun: o.dryRun, force: o.force,
      tokenTtlSeconds: o.tokenTtlSeconds, apiServers: o.apiServers, rotate: o.rotate, interrupt: o.interrupt }, s.note);
    out.registrations.push(...r.registrations);
    out.checks.push(...r.checks);
    for (const [ctx, objs] of r.applied) {
      applied.set(ctx, objs);
      for (const w of takeoverWarnings(ctx, objs)) ui.warn(w);
    }
    for (const c of r.checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
    const bad = failed(r.checks);
    if (bad.length) throw new CliError('checksFailed', bad[0]!.message, { hint: bad[0]!.hint });
  });

  let cpReady = false;
  if (o.wait && !o.dryRun) {
    await ui.step('Wait for the control-plane operator', async () => {
      await waitDeploymentsAvailable(cp.client, o.namespace, [OPERATOR_DEPLOYMENT], deadline);
      cpReady = true;
    });
    out.checks.push(check('OPERATOR-READY', 'pass', `control-plane operator available in ${cp.ctx.name}`, { context: cp.ctx.name }));
  }

  out.clusters.push(...clusters.map((c) => clusterReport(c, roleOf(c.ctx.name), operators.get(c.ctx.name), applied.get(c.ctx.name) ?? [],
    c === cp ? cpReady : true, o.namespace)));
  const changed = out.registrations.filter((g) => g.action !== 'unchanged').map((g) => g.context);
  const expiry = out.registrations.map((g) => g.tokenExpiresAt?.slice(0, 10)).filter(Boolean).sort()[0];
  out.summary = o.dryRun ? `dry run: would ${o.rotate ? 'rotate the tokens of' : 'register'} ${dataPlanes.map((d) => d.ctx.name).join(', ')}; nothing was changed`
    : o.rotate ? `rotated the tokens of ${changed.join(', ')} (new tokens expire ${expiry ?? 'as the server decides'}; the old ones stay valid until they expire)`
      : changed.length ? `registered ${changed.join(', ')} with ${cp.ctx.name}`
        : `${dataPlanes.map((d) => d.ctx.name).join(', ')} already registered with ${cp.ctx.name} as planned: nothing changed`;
  out.ok = o.dryRun || ((!o.wait || cpReady) && out.registrations.every((g) => g.verified));
}

/** The control plane must run the control-plane operator, each data plane the data-plane one, in the namespace. */
function operatorCheck(context: string, role: Role, op: ExistingOperator | undefined, o: RegisterFlowOptions): Check {
  if (!op) {
    return check('OPERATOR-EXISTING', 'fail', `${context} has no k8ssandra-operator in namespace ${o.namespace}`,
      { context, hint: `install it first: k8ssandra install --contexts ${o.contexts.join(',')}` });
  }
  if (op.mode !== role) {
    return check('OPERATOR-EXISTING', 'fail', `${context} runs the operator as ${op.mode}, not ${role}`,
      { context, hint: role === 'control-plane' ? 'name the control plane first in --contexts, or with --control-plane' : 'a control plane cannot be registered as a data plane' });
  }
  return check('OPERATOR-EXISTING', 'pass', `operator ${op.version ?? ''} runs as ${role}`.replace('  ', ' '), { context });
}

function clusterReport(c: Cluster, role: Role, op: ExistingOperator | undefined, objects: AppliedObject[], ready: boolean, namespace: string): ClusterReport {
  return { context: c.ctx.name, role, server: c.ctx.server, namespace, operatorVersion: op?.version, ready, changes: countChanges(objects), objects, elapsedMs: 0 };
}
