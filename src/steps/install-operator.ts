import { takeoverWarnings } from '../kube/apply.js';
import { deploymentsIn, installCluster } from '../kube/install-release.js';
import type { OperatorRelease } from '../manifests/operator-release.js';
import { recordFor } from '../plan/install-record.js';
import { countChanges } from '../report/model.js';
import { forEachCluster } from '../run/fan-out.js';
import { must, type OperatorRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';

export const operatorDeployments = (release: OperatorRelease) => deploymentsIn(release.byRole['data-plane']).map((d) => d.metadata.name);

/** Installs cert-manager (where missing) and the operator in its role into every cluster of `installInto`, in parallel. */
export const installOperators: Step<OperatorRun> = {
  title: (ctx) => (ctx.dryRun ? 'Install the operator (server-side dry run)' : 'Install the operator'),
  async run(ctx, s) {
    const release = must(ctx.release, 'the release');
    ctx.changing = true;
    await forEachCluster('install', ctx.installInto, async (t) => {
      const started = Date.now();
      const context = t.cluster.ctx.name;
      const role = t.role === 'control-plane' ? 'control-plane' : 'data-plane';
      const f = ctx.facts.find((x) => x.context === context)!;
      const installCertManager = !f.certManager && !ctx.certManagerSource.skipCertManager;
      const certManager = installCertManager ? ctx.certManager : undefined;
      const record = recordFor(role, release, certManager, f.certManagerOurs ? ctx.records.get(context) : undefined);
      t.operatorVersion = release.version;
      t.cassOperatorVersion = release.cassOperatorVersion;
      t.certManager = f.certManager ? 'present' : certManager ? 'installed' : 'missing';
      try {
        const objs = await installCluster({ cluster: t.cluster, role, installCertManager, record }, release, ctx.certManager,
          { namespace: ctx.namespace, dryRun: ctx.dryRun, force: ctx.force, deadline: ctx.deadline }, (what) => s.update(`${context}: ${what}`), (o) => t.objects.push(o));
        for (const w of takeoverWarnings(context, objs)) ctx.ui.warn(w);
        const ch = countChanges(objs);
        s.note(`${context}: ${role}, ${objs.length} objects (${ch.created} created, ${ch.changed} changed, ${ch.unchanged} unchanged)`);
      } finally {
        t.elapsedMs = Date.now() - started;
      }
    });
  },
};
