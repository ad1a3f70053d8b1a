import { CliError } from '../errors.js';
import { connect } from '../kube/connect.js';
import type { ConnectedRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';
import { newTarget } from '../run/target.js';

/** The contexts of a multi-cluster command; the control plane is `controlPlane` or the first. */
export interface ContextsRequest { contexts: string[]; controlPlane?: string }

/** Resolves every context as kubectl would, one client each; the control plane first unless named. */
export const resolveContexts = (req: ContextsRequest): Step<ConnectedRun> => ({
  title: 'Resolve contexts',
  async run(ctx, s) {
    const clusters = await connect({ ...ctx.connection, contexts: req.contexts });
    for (const c of clusters) s.note(`${c.ctx.name} -> ${c.ctx.server}`);
    const cpName = req.controlPlane ?? clusters[0]!.ctx.name;
    if (!clusters.some((c) => c.ctx.name === cpName)) {
      throw new CliError('usage', `--control-plane ${cpName} is not one of --contexts`, { hint: `add it to --contexts, e.g. --contexts ${cpName},${req.contexts.join(',')}` });
    }
    ctx.targets = clusters.map((c) => newTarget(c, c.ctx.name === cpName ? 'control-plane' : 'data-plane'));
    ctx.cp = ctx.targets.find((t) => t.role === 'control-plane');
    ctx.dataPlanes = ctx.targets.filter((t) => t !== ctx.cp);
  },
});

