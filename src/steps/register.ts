import { gate } from '../checks/gate.js';
import { takeoverWarnings } from '../kube/apply.js';
import { registerDataPlanes } from '../registration/register.js';
import { must, type RegisterRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';
import type { Target } from '../run/target.js';

/** Registers the data planes with the control plane (or rotates their tokens): one batch in the control plane. */
export const register: Step<RegisterRun> = {
  title: (ctx) => (ctx.registration.rotate ? 'Rotate the data planes\' tokens' : 'Register data planes with the control plane'),
  skip: (ctx) => !ctx.dataPlanes.length,
  async run(ctx, s) {
    const cp = must(ctx.cp, 'the control plane');
    ctx.changing = true;
    const before = new Map<Target, number>([cp, ...ctx.dataPlanes].map((t) => [t, t.objects.length]));
    try {
      const r = await registerDataPlanes(cp, ctx.dataPlanes, { ...ctx.registration, namespace: ctx.namespace, dryRun: ctx.dryRun, force: ctx.force,
        deadline: ctx.deadline, interrupt: ctx.interrupt, env: ctx.connection.env }, s.note);
      ctx.report.registrations.push(...r.registrations);
      gate(r.checks, ctx, s);
    } finally {
      for (const [t, n] of before) for (const w of takeoverWarnings(t.cluster.ctx.name, t.objects.slice(n))) ctx.ui.warn(w);
    }
  },
};
