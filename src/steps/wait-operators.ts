import { check } from '../checks/catalog.js';
import { waitDeploymentsAvailable } from '../kube/apply.js';
import { OPERATOR_DEPLOYMENT } from '../manifests/operator-release.js';
import { forEachCluster } from '../run/fan-out.js';
import { must, type OperatorRun, type RegisterRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';
import { operatorDeployments } from './install-operator.js';

/** Waits until the operator Deployments are available in every cluster the run installed or registered (the control plane restarts after registration). */
export const waitOperators: Step<OperatorRun> = {
  title: 'Wait for the operators to be available',
  skip: (ctx) => !ctx.wait || ctx.dryRun,
  async run(ctx, s) {
    const names = operatorDeployments(must(ctx.release, 'the release'));
    const waited = ctx.targets.filter((t) => ctx.installInto.includes(t) || t === ctx.cp);
    await forEachCluster('wait', waited, async (t) => {
      await waitDeploymentsAvailable(t.cluster.client, ctx.namespace, names, ctx.deadline);
      t.ready = true;
      s.note(`${t.cluster.ctx.name}: operator available`);
    });
    ctx.report.checks.push(check('OPERATOR-READY', 'pass', `operator available in ${waited.length} cluster(s)`));
  },
};

/** register: the control-plane operator restarts when its ClientConfigs or their Secrets change; wait for it. */
export const waitControlPlane: Step<RegisterRun & { wait: boolean }> = {
  title: 'Wait for the control-plane operator',
  skip: (ctx) => !ctx.wait || ctx.dryRun,
  async run(ctx) {
    const cp = must(ctx.cp, 'the control plane');
    await forEachCluster('wait', [cp], async (t) => {
      await waitDeploymentsAvailable(t.cluster.client, ctx.namespace, [OPERATOR_DEPLOYMENT], ctx.deadline);
      t.ready = true;
    });
    ctx.report.checks.push(check('OPERATOR-READY', 'pass', `control-plane operator available in ${cp.cluster.ctx.name}`, { context: cp.cluster.ctx.name }));
  },
};
