import { readInstallRecords } from '../kube/install-record.js';
import { loadCertManager } from '../manifests/cert-manager.js';
import { loadOperatorRelease } from '../manifests/operator-release.js';
import { recordedCertManager, recordedOperatorSource } from '../plan/install-record.js';
import { must, type OperatorRun } from '../run/operator-run.js';
import type { Step } from '../run/steps.js';

/**
 * Reads what earlier runs installed (the install records: the control plane's first) and loads the
 * release: --manifests, else the source the records name, so that a re-run needs no flag that only the
 * first run needed, else the official release.
 */
export const loadRelease: Step<OperatorRun> = {
  title: 'Load the operator release',
  async run(ctx, s) {
    const cp = must(ctx.cp, 'the control plane');
    const o = ctx.releaseSource;
    const reading = readInstallRecords([cp, ...ctx.targets.filter((t) => t !== cp)].map((t) => t.cluster), ctx.namespace);
    // With --manifests the release does not depend on the records: it is parsed while they are read
    // (once the requests are on their way: parsing holds the event loop).
    const given = o.manifests ? (await new Promise((resolve) => setImmediate(resolve)), loadOperatorRelease(o)) : undefined;
    given?.catch(() => {}); // a bad --manifests is reported below, after the reads
    ctx.records = await reading;
    const recorded = o.manifests ? undefined : recordedOperatorSource([...ctx.records.values()], { clusterScoped: !!o.clusterScoped, version: o.operatorVersion });
    const r = await (given ?? loadOperatorRelease(recorded ? { ...o, manifests: recorded.path } : o));
    s.note(`k8ssandra-operator ${r.version}${r.cassOperatorVersion ? ` (cass-operator ${r.cassOperatorVersion})` : ''} from ${r.source}${recorded ? ' (as recorded at install)' : ''}`);
    ctx.release = r;
  },
};

/** The clusters the operator goes into that need cert-manager from us (also where k8ssandra installed it: see ClusterFacts.certManager). */
const missingCertManager = (ctx: OperatorRun) =>
  ctx.installInto.filter((t) => !ctx.facts.find((f) => f.context === t.cluster.ctx.name)?.certManager);

/**
 * cert-manager for the clusters that lack it, and for those where k8ssandra installed it (applied again
 * on every run, so that a run killed half-way through it converges): --cert-manager-manifests, else the
 * source the install records name, else the official release.
 */
export const loadCertManagerIfNeeded: Step<OperatorRun> = {
  title: 'Load cert-manager',
  skip: (ctx) => ctx.certManagerSource.skipCertManager || !missingCertManager(ctx).length,
  async run(ctx, s) {
    // Any cluster of the installation will do: one installation uses one cert-manager source.
    const given = ctx.certManagerSource.certManagerManifests;
    const recorded = given ? undefined : recordedCertManager([...ctx.records.values()]);
    const cm = await loadCertManager({ manifests: given ?? recorded?.path, version: recorded?.version });
    s.note(`cert-manager ${cm.version} from ${cm.source}${recorded ? ' (as recorded at install)' : ''}, for ${missingCertManager(ctx).map((t) => t.cluster.ctx.name).join(', ')}`);
    ctx.certManager = cm;
  },
};
