import { CliError } from '../errors.js';
import { ApiError } from '../kube/client.js';
import { connect, type Cluster } from '../kube/connect.js';
import type { ExecPlugins } from '../kube/exec-plugin.js';
import { findControlPlane } from '../kube/find-control-plane.js';
import { addDatacenter, readCluster, validateDatacenter, waitDatacenterReady, type ClusterRef } from '../kube/k8ssandra-cluster.js';
import { CLIENT_CONFIG } from '../model/kinds.js';
import { findOperators, type ExistingOperator } from '../kube/operators.js';
import type { KubeObject } from '../model/object.js';
import { listObjects } from '../kube/resources.js';
import {
  clusterNotReadyReasons, datacenterContexts, datacenterNames, DC_REPLICATION_ANNOTATION, parseReplication, parseSize, planDatacenter, validateDnsLabel,
  validateObjectName, type AddDcRequest, type DatacenterPlan,
} from '../plan/datacenter.js';
import type { DatacenterReport } from '../report/model.js';
import { must } from '../run/operator-run.js';
import type { ReportDraft } from '../run/report.js';
import { runSteps, type Step } from '../run/steps.js';
import { newTarget, type Target } from '../run/target.js';
import { installOperators } from '../steps/install-operator.js';
import { loadCertManagerIfNeeded, loadRelease } from '../steps/load-release.js';
import { lockTheClusters } from '../steps/lock.js';
import { preflight } from '../steps/preflight.js';
import { routabilityToPeers, type PeerRun } from '../steps/probe-routability.js';
import { register } from '../steps/register.js';
import { confirm } from '../steps/confirm.js';
import type { RoutabilityCheck } from '../routability/check.js';
import { waitOperators } from '../steps/wait-operators.js';
import type { Reporter } from '../ui/reporter.js';
import type { Interrupt } from '../util/interrupt.js';
import { deadlineFrom } from '../util/wait.js';

export interface AddDcOptions {
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  /** The command's exec credential plugins (its terminal, --no-input), shared by its clients. */
  plugins?: ExecPlugins;
  cluster: string;
  dc: string;
  context: string;
  controlPlane?: string;
  /** The K8ssandraCluster's namespace (default: the control-plane operator's). */
  namespace?: string;
  size?: string;
  replication?: string;
  copyFrom?: string;
  // How a context that is not yet a data plane gets the operator: the same options as install.
  operatorVersion?: string;
  manifests?: string;
  certManagerManifests?: string;
  skipCertManager: boolean;
  skipRoutability: boolean;
  apiServers: Record<string, string>;
  tokenTtlSeconds: number;
  boundedTokens?: boolean;
  force: boolean;
  dryRun: boolean;
  wait: boolean;
  timeoutMs: number;
  confirm: (question: string) => Promise<boolean>;
  /** Ctrl-C: stops requests and waits; a registration batch is finished first (see util/interrupt.ts). */
  interrupt?: Interrupt;
  requestTimeoutMs?: number;
  /** The routability probe between the new datacenter's cluster and the existing ones' (see routability/check.ts). */
  checkRoutability?: RoutabilityCheck;
  /** Runs right before each patch attempt; tests use it to edit the K8ssandraCluster concurrently. */
  beforePatch?: (attempt: number) => Promise<void>;
}

/** What add-dc's steps hand on, besides what the install steps it reuses share. */
interface AddDcRun extends PeerRun {
  readonly request: AddDcRequest;
  operator?: ExistingOperator;
  ref?: ClusterRef;
  kc?: KubeObject;
  plan?: DatacenterPlan;
  /** How the context becomes able to hold the datacenter. */
  dataPlane?: DatacenterReport['dataPlane'];
  datacenter?: DatacenterReport;
}

/**
 * `add-dc`: check the request, find the control plane, read the K8ssandraCluster and plan the new
 * datacenter (refusing a cluster that is not ready), validate the change with a server-side dry run,
 * make the target context a registered data plane when it is not (the install steps: preflight,
 * routability, install, register, wait), append the datacenter with a patch that cannot overwrite
 * concurrent edits, wait for its CassandraDatacenter to be Ready, report.
 */
const addDcSteps = (o: AddDcOptions): Step<AddDcRun>[] => {
  const settingUp = (ctx: AddDcRun) => ctx.dataPlane !== 'installed';
  const setUp = (step: Step<AddDcRun>): Step<AddDcRun> => ({ ...step, skip: (ctx) => settingUp(ctx) || !!step.skip?.(ctx) });
  return [
    findTheControlPlane(o),
    readTheCluster,
    validateTheChange,
    checkTheDataPlane,
    confirm((ctx) => {
      const changes = [ctx.dataPlane === 'installed' ? `Install and register the operator in ${ctx.newDc!.ctx.name}` : '',
        ctx.plan!.action === 'created' ? `add datacenter ${o.dc} (size ${ctx.plan!.size}) to K8ssandraCluster ${ctx.ref!.namespace}/${ctx.ref!.name} in ${ctx.newDc!.ctx.name}` : ''].filter(Boolean);
      return changes.length ? `${changes.join(', then ')}?` : undefined;
    }, 'add-dc', o.confirm),
    // Making the context a data plane: the install steps, for this one cluster.
    setUp(findPeers(o)),
    // The control plane and the datacenter's cluster always; the peers whose pods a new data plane's probe uses.
    lockTheClusters({ which: (ctx) => [must(ctx.cp, 'the control plane').cluster, must(ctx.newDc, 'the new cluster'), ...ctx.peers] }),
    setUp(loadRelease),
    setUp(preflight),
    setUp(routabilityToPeers({ skip: o.skipRoutability, check: o.checkRoutability })),
    setUp(loadCertManagerIfNeeded),
    setUp(installOperators),
    setUp(register),
    setUp(waitOperators),
    addTheDatacenter(o),
    waitForTheDatacenter,
    summarize,
  ];
};

export async function runAddDc(o: AddDcOptions, ui: Reporter, report: ReportDraft): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  report.dryRun = o.dryRun;
  // Bad input fails before anything is read.
  validateObjectName('--cluster', o.cluster);
  validateDnsLabel('--dc', o.dc);
  const request: AddDcRequest = { cluster: o.cluster, dc: o.dc, context: o.context, k8sContext: '', size: parseSize(o.size), replication: parseReplication(o.replication),
    copyFrom: o.copyFrom };
  const ctx: AddDcRun = {
    ui, report, deadline, signal: o.interrupt?.signal, namespace: '', dryRun: o.dryRun, force: o.force, wait: o.wait, interrupt: o.interrupt, request,
    connection: { kubeconfig: o.kubeconfig, env: o.env, log: ui.verbose, signal: o.interrupt?.signal, deadline, requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins },
    // Without --manifests or --operator-version, the data plane gets the control plane's version (set when it is found).
    releaseSource: { manifests: o.manifests, operatorVersion: o.operatorVersion },
    certManagerSource: { certManagerManifests: o.certManagerManifests, skipCertManager: o.skipCertManager },
    registration: { clusterScoped: false, tokenTtlSeconds: o.tokenTtlSeconds, apiServers: o.apiServers, boundedTokens: o.boundedTokens },
    targets: [], dataPlanes: [], installInto: [], peers: [], records: new Map(), facts: [], unknownPeers: [],
  };
  await runSteps(ctx, addDcSteps(o));
}

const findTheControlPlane = (o: AddDcOptions): Step<AddDcRun> => ({
  title: 'Find the control plane',
  async run(ctx, s) {
    const [newDc] = await connect({ ...ctx.connection, contexts: [o.context] });
    const found = await findControlPlane({ kubeconfig: o.kubeconfig, env: o.env, explicit: o.controlPlane, log: ctx.ui.verbose, signal: ctx.signal, deadline: ctx.deadline,
      requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins });
    s.note(`${found.context}: k8ssandra-operator ${found.operator.version ?? ''} control plane in namespace ${found.operator.namespace}`
      + (o.controlPlane ? '' : ` (found among ${found.probed} contexts)`));
    const cp = found.context === newDc!.ctx.name ? newDc! : (await connect({ ...ctx.connection, contexts: [found.context] }))[0]!;
    const op = found.operator;
    ctx.newDc = newDc;
    ctx.cp = newTarget(cp, 'control-plane');
    ctx.operator = op;
    ctx.namespace = op.namespace;
    if (cp === newDc) ctx.dataPlane = 'control-plane';
    ctx.ref = { namespace: o.namespace ?? op.namespace, name: o.cluster };
    (ctx.request as { k8sContext: string }).k8sContext = cp === newDc ? '' : o.context;
    // A new data plane runs as its control plane does: same scope, and (unless named) the same version.
    const clusterScoped = !!op.clusterScoped;
    ctx.releaseSource = { ...ctx.releaseSource, clusterScoped,
      operatorVersion: o.operatorVersion ?? (!o.manifests && /^v\d+\.\d+\.\d+$/.test(op.version ?? '') ? op.version : undefined) };
    ctx.registration = { ...ctx.registration, clusterScoped };
  },
});

/** The plan for the datacenter in this K8ssandraCluster; a new one only when every existing datacenter is Ready. */
function planFor(ctx: AddDcRun, kc: KubeObject): DatacenterPlan {
  const plan = planDatacenter(kc, ctx.request);
  const reasons = plan.action === 'created' ? clusterNotReadyReasons(kc) : [];
  if (reasons.length) {
    throw new CliError('notReady', `K8ssandraCluster ${ctx.ref!.name} is not ready for a new datacenter: ${reasons.join('; ')}`,
      { hint: 'wait until every datacenter is Ready (kubectl get k8ssandracluster -o yaml shows status), then run add-dc again' });
  }
  return plan;
}

const readTheCluster: Step<AddDcRun> = {
  title: (ctx) => `Read K8ssandraCluster ${ctx.ref!.namespace}/${ctx.ref!.name}`,
  async run(ctx, s) {
    const kc = await readCluster(must(ctx.cp, 'the control plane').cluster.client, must(ctx.ref, 'the K8ssandraCluster'));
    s.note(`datacenters: ${datacenterNames(kc).join(', ') || 'none'}`);
    const plan = planFor(ctx, kc);
    s.note(plan.action === 'unchanged' ? `${ctx.request.dc} already exists with these settings`
      : `${ctx.request.dc}: size ${plan.size}${plan.copiedFrom ? `; copied from ${plan.copiedFrom}: ${plan.copied.join(', ')}` : ''}`);
    ctx.kc = kc;
    ctx.plan = plan;
  },
};

const validateTheChange: Step<AddDcRun> = {
  title: 'Validate the change (server-side dry run)',
  skip: (ctx) => ctx.plan!.action !== 'created',
  async run(ctx, s) {
    // A concurrent edit (409) is no verdict on the datacenter: the add step reads, plans and validates again.
    const accepted = await validateDatacenter(ctx.cp!.cluster.client, ctx.ref!, ctx.kc!, ctx.plan!).then(() => true, (e) => {
      if (e instanceof ApiError && e.status === 409) return false;
      throw e;
    });
    s.note(accepted ? `the API server accepts datacenter ${ctx.request.dc} in K8ssandraCluster ${ctx.ref!.name}`
      : `K8ssandraCluster ${ctx.ref!.name} changed meanwhile; the change is validated again before it is made`);
  },
};

const checkTheDataPlane: Step<AddDcRun> = {
  title: (ctx) => `Check that ${ctx.newDc!.ctx.name} is a registered data plane`,
  async run(ctx, s) {
    const newDc = must(ctx.newDc, 'the new cluster');
    const cp = must(ctx.cp, 'the control plane').cluster;
    const state = await dataPlaneState(cp, newDc, ctx.namespace);
    s.note(state.registered ? `${newDc.ctx.name}: registered (ClientConfig ${state.clientConfig}), operator in ${ctx.namespace}`
      : `${newDc.ctx.name}: ${state.why}; it will be installed and registered first`);
    ctx.dataPlane = state.registered ? 'registered' : 'installed';
  },
  skip: (ctx) => ctx.dataPlane === 'control-plane',
};

/** Whether the control plane holds a ClientConfig for the context and the context runs the data-plane operator. */
async function dataPlaneState(cp: Cluster, target: Cluster, namespace: string): Promise<{ registered: boolean; clientConfig?: string; why?: string }> {
  const [configs, operators] = await Promise.all([listObjects(cp.client, { ...CLIENT_CONFIG, namespace }), findOperators(target.client)]);
  const cc = configs.find((c) => (c.spec?.contextName || c.metadata.name) === target.ctx.name);
  const op = operators.find((x) => x.namespace === namespace && x.mode === 'data-plane');
  if (cc && op) return { registered: true, clientConfig: cc.metadata.name };
  const missing = [cc ? '' : `no ClientConfig for it in ${cp.ctx.name}`, op ? '' : `no data-plane operator in its namespace ${namespace}`].filter(Boolean);
  return { registered: false, why: missing.join(' and ') };
}

/**
 * Before the context is made a data plane: the run's clusters (the new data plane, the control plane)
 * and the clusters of the existing datacenters, for the cross-cluster checks and the routability probe.
 */
const findPeers = (o: AddDcOptions): Step<AddDcRun> => ({
  title: 'peers', quiet: true,
  async run(ctx) {
    const cp = must(ctx.cp, 'the control plane');
    const dp: Target = newTarget(must(ctx.newDc, 'the new cluster'), 'data-plane');
    ctx.targets = [dp, cp];
    ctx.installInto = [dp];
    ctx.dataPlanes = [dp];
    const near = new Set([cp.cluster.ctx.name, dp.cluster.ctx.name]);
    ctx.keepCheck = (ch) => ch.id === 'K8S-SAME-CLUSTER' || ch.id === 'POD-CIDR-OVERLAP' || near.has(ch.context ?? '');
    await Promise.all(datacenterContexts(ctx.kc!).map(async (k8sContext) => {
      const name = k8sContext || cp.cluster.ctx.name;
      const known = [cp.cluster, dp.cluster].find((x) => x.ctx.name === name);
      if (known) return void ctx.peers.push(known);
      try {
        ctx.peers.push(...await connect({ ...ctx.connection, kubeconfig: o.kubeconfig, contexts: [name] }));
      } catch {
        ctx.unknownPeers.push(name);
      }
    }));
  },
});

const addTheDatacenter = (o: AddDcOptions): Step<AddDcRun> => ({
  title: (ctx) => (ctx.dryRun ? `Add datacenter ${o.dc} (server-side dry run)` : `Add datacenter ${o.dc}`),
  async run(ctx, s) {
    const r = await addDatacenter(ctx.cp!.cluster.client, ctx.ref!, (kc) => planFor(ctx, kc), { dryRun: ctx.dryRun, note: s.note, beforePatch: o.beforePatch });
    const p = r.plan;
    s.note(p.action === 'unchanged' ? `${o.dc} already in the spec: nothing to change`
      : `${ctx.dryRun ? 'would append' : 'appended'} ${o.dc} to spec.cassandra.datacenters${p.annotation !== undefined ? ` and set ${DC_REPLICATION_ANNOTATION}` : ''}`);
    ctx.plan = p;
    ctx.report.datacenter = {
      cluster: ctx.ref!.name, namespace: ctx.ref!.namespace, name: o.dc, context: ctx.newDc!.ctx.name, k8sContext: ctx.request.k8sContext, size: p.size,
      ...(p.copiedFrom ? { copiedFrom: p.copiedFrom } : {}), copied: p.copied, ...(p.replication ? { replication: p.replication } : {}),
      action: p.action, dataPlane: ctx.dataPlane!, ready: false,
    };
  },
});

const waitForTheDatacenter: Step<AddDcRun> = {
  title: (ctx) => `Wait for CassandraDatacenter ${ctx.request.dc} in ${ctx.newDc!.ctx.name} to be Ready`,
  skip: (ctx) => !ctx.wait || ctx.dryRun,
  async run(ctx, s) {
    const dc = ctx.report.datacenter!;
    dc.state = await waitDatacenterReady({ client: ctx.newDc!.client, namespace: ctx.ref!.namespace, name: dc.name, deadline: ctx.deadline,
      onState: (state) => { dc.state = state; s.note(`${dc.name}: ${state}`); } });
    dc.ready = true;
  },
};

const summarize: Step<AddDcRun> = {
  title: 'summary', quiet: true,
  async run(ctx) {
    const dc = ctx.report.datacenter!;
    const p = ctx.plan!;
    const what = `datacenter ${dc.name} (size ${p.size}) in K8ssandraCluster ${ctx.ref!.namespace}/${ctx.ref!.name}, context ${dc.context}`;
    ctx.report.summary = ctx.dryRun ? `dry run: ${p.action === 'unchanged' ? `${what} already exists` : `${what} would be added; the API server accepts it`}; nothing was changed`
      : p.action === 'unchanged' ? `${what} already exists with these settings: nothing changed${dc.ready ? '; it is Ready' : ''}`
        : `added ${what}${dc.ready ? '; it is Ready' : ctx.wait ? '' : '; not waiting for it (--no-wait)'}`;
    ctx.report.ok = ctx.dryRun || !ctx.wait || dc.ready;
  },
};
