import { failed, type Check } from '../checks/catalog.js';
import { CliError } from '../errors.js';
import { ApiError } from '../kube/client.js';
import { listObjects, type KubeObject } from '../kube/resources.js';
import type { Role } from '../manifests/operator-release.js';
import {
  clusterNotReadyReasons, datacenterContexts, datacenterNames, DC_REPLICATION_ANNOTATION, parseReplication, parseSize, planDatacenter, validateDnsLabel,
  validateObjectName, type AddDcRequest, type DatacenterPlan,
} from '../plan/datacenter.js';
import type { DatacenterReport } from '../report/model.js';
import { connect, type Cluster } from '../steps/connect.js';
import { readInstallRecords } from '../steps/install-record.js';
import { findControlPlane } from '../steps/control-plane.js';
import { addDatacenter, readCluster, validateDatacenter, waitDatacenterReady, type ClusterRef } from '../steps/datacenter.js';
import {
  clusterReport, installStep, loadCertManagerIfNeeded, loadReleaseStep, preflightStep, registerStep, waitOperatorsStep,
} from '../steps/operator-setup.js';
import { findOperators, type ExistingOperator } from '../steps/preflight.js';
import { routabilityGate, type RoutabilityCheck } from '../steps/routability-gate.js';
import type { Reporter } from '../ui/reporter.js';
import { deadlineFrom } from '../util/wait.js';
import type { Interrupt } from '../util/interrupt.js';
import type { FlowResult } from './result.js';

export interface AddDcOptions {
  kubeconfig?: string;
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
  force: boolean;
  dryRun: boolean;
  wait: boolean;
  timeoutMs: number;
  confirm: (question: string) => Promise<boolean>;
  /** Ctrl-C: stops requests and waits; a registration batch is finished first (see util/interrupt.ts). */
  interrupt?: Interrupt;
  requestTimeoutMs?: number;
  /** The routability probe between the new datacenter's cluster and the existing ones' (see routability-gate.ts). */
  checkRoutability?: RoutabilityCheck;
  /** Runs right before each patch attempt; tests use it to edit the K8ssandraCluster concurrently. */
  beforePatch?: (attempt: number) => Promise<void>;
}

/** How add-dc connects to any context: the command's deadline, Ctrl-C and request timeout. */
const connectOptions = (o: AddDcOptions, ui: Reporter, deadline: number) =>
  ({ kubeconfig: o.kubeconfig, log: ui.verbose, signal: o.interrupt?.signal, deadline, requestTimeoutMs: o.requestTimeoutMs });

const CLIENT_CONFIG = { apiVersion: 'config.k8ssandra.io/v1beta1', kind: 'ClientConfig' } as const;

/**
 * `add-dc`: check the request, find the control plane, read the K8ssandraCluster and plan the new
 * datacenter (refusing a cluster that is not ready), validate the change with a server-side dry run,
 * make the target context a registered data plane when it is not (preflight, routability, install,
 * register: the install flow's steps), append the datacenter with a patch that cannot overwrite
 * concurrent edits, wait for its CassandraDatacenter to be Ready, report.
 */
export async function runAddDc(o: AddDcOptions, ui: Reporter, out: FlowResult): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  out.dryRun = o.dryRun;
  // Bad input fails before anything is read.
  validateObjectName('--cluster', o.cluster);
  validateDnsLabel('--dc', o.dc);
  const size = parseSize(o.size);
  const replication = parseReplication(o.replication);
  const conn = connectOptions(o, ui, deadline);

  const { cp, target, operator } = await ui.step('Find the control plane', async (s) => {
    const [target] = await connect({ ...conn, contexts: [o.context] });
    const found = await findControlPlane({ kubeconfig: o.kubeconfig, explicit: o.controlPlane, log: ui.verbose });
    s.note(`${found.context}: k8ssandra-operator ${found.operator.version ?? ''} control plane in namespace ${found.operator.namespace}`
      + (o.controlPlane ? '' : ` (found among ${found.probed} contexts)`));
    const cp = found.context === target!.ctx.name ? target! : (await connect({ ...conn, contexts: [found.context] }))[0]!;
    return { cp, target: target!, operator: found.operator };
  });
  const operatorNs = operator.namespace;
  const ref: ClusterRef = { namespace: o.namespace ?? operatorNs, name: o.cluster };
  const isControlPlane = target.ctx.name === cp.ctx.name;
  const req: AddDcRequest = { cluster: o.cluster, dc: o.dc, context: o.context, k8sContext: isControlPlane ? '' : o.context, size, replication, copyFrom: o.copyFrom };
  const planFor = (kc: KubeObject): DatacenterPlan => {
    const plan = planDatacenter(kc, req);
    const reasons = plan.action === 'created' ? clusterNotReadyReasons(kc) : [];
    if (reasons.length) {
      throw new CliError('notReady', `K8ssandraCluster ${ref.name} is not ready for a new datacenter: ${reasons.join('; ')}`,
        { hint: 'wait until every datacenter is Ready (kubectl get k8ssandracluster -o yaml shows status), then run add-dc again' });
    }
    return plan;
  };

  const { kc, plan } = await ui.step(`Read K8ssandraCluster ${ref.namespace}/${ref.name}`, async (s) => {
    const kc = await readCluster(cp.client, ref);
    s.note(`datacenters: ${datacenterNames(kc).join(', ') || 'none'}`);
    const plan = planFor(kc);
    s.note(plan.action === 'unchanged' ? `${o.dc} already exists with these settings`
      : `${o.dc}: size ${plan.size}${plan.copiedFrom ? `; copied from ${plan.copiedFrom}: ${plan.copied.join(', ')}` : ''}`);
    return { kc, plan };
  });
  if (plan.action === 'created') {
    await ui.step('Validate the change (server-side dry run)', async (s) => {
      // A concurrent edit (409) is no verdict on the datacenter: the add step reads, plans and validates again.
      const accepted = await validateDatacenter(cp.client, ref, kc, plan).then(() => true, (e) => {
        if (e instanceof ApiError && e.status === 409) return false;
        throw e;
      });
      s.note(accepted ? `the API server accepts datacenter ${o.dc} in K8ssandraCluster ${ref.name}`
        : `K8ssandraCluster ${ref.name} changed meanwhile; the change is validated again before it is made`);
    });
  }

  const dataPlane = isControlPlane ? 'control-plane' : await ui.step(`Check that ${target.ctx.name} is a registered data plane`, async (s) => {
    const state = await dataPlaneState(cp, target, operatorNs);
    s.note(state.registered ? `${target.ctx.name}: registered (ClientConfig ${state.clientConfig}), operator in ${operatorNs}`
      : `${target.ctx.name}: ${state.why}; it will be installed and registered first`);
    return state.registered ? 'registered' as const : 'installed' as const;
  });

  const changes = [dataPlane === 'installed' ? `Install and register the operator in ${target.ctx.name}` : '',
    plan.action === 'created' ? `add datacenter ${o.dc} (size ${plan.size}) to K8ssandraCluster ${ref.namespace}/${ref.name} in ${target.ctx.name}` : ''].filter(Boolean);
  if (changes.length && !o.dryRun && !(await o.confirm(`${changes.join(', then ')}?`))) {
    throw new CliError('interrupted', 'add-dc cancelled', { hint: 'pass --yes to go ahead without asking' });
  }

  if (dataPlane === 'installed') await setUpDataPlane(o, { cp, target, operator, kc, deadline }, ui, out);

  const added = await ui.step(o.dryRun ? `Add datacenter ${o.dc} (server-side dry run)` : `Add datacenter ${o.dc}`, async (s) => {
    const r = await addDatacenter(cp.client, ref, planFor, { dryRun: o.dryRun, note: s.note, beforePatch: o.beforePatch });
    s.note(r.plan.action === 'unchanged' ? `${o.dc} already in the spec: nothing to change`
      : `${o.dryRun ? 'would append' : 'appended'} ${o.dc} to spec.cassandra.datacenters${r.plan.annotation !== undefined ? ` and set ${DC_REPLICATION_ANNOTATION}` : ''}`);
    return r;
  });
  const p = added.plan;
  const report: DatacenterReport = {
    cluster: ref.name, namespace: ref.namespace, name: o.dc, context: target.ctx.name, k8sContext: req.k8sContext, size: p.size,
    ...(p.copiedFrom ? { copiedFrom: p.copiedFrom } : {}), copied: p.copied, ...(p.replication ? { replication: p.replication } : {}),
    action: p.action, dataPlane, ready: false,
  };
  out.datacenter = report;

  if (o.wait && !o.dryRun) {
    await ui.step(`Wait for CassandraDatacenter ${o.dc} in ${target.ctx.name} to be Ready`, async (s) => {
      report.state = await waitDatacenterReady({ client: target.client, namespace: ref.namespace, name: o.dc, deadline,
        onState: (state) => { report.state = state; s.note(`${o.dc}: ${state}`); } });
      report.ready = true;
    });
  }

  const what = `datacenter ${o.dc} (size ${p.size}) in K8ssandraCluster ${ref.namespace}/${ref.name}, context ${target.ctx.name}`;
  out.summary = o.dryRun ? `dry run: ${p.action === 'unchanged' ? `${what} already exists` : `${what} would be added; the API server accepts it`}; nothing was changed`
    : p.action === 'unchanged' ? `${what} already exists with these settings: nothing changed${report.ready ? '; it is Ready' : ''}`
      : `added ${what}${report.ready ? '; it is Ready' : o.wait ? '' : '; not waiting for it (--no-wait)'}`;
  out.ok = o.dryRun || !o.wait || report.ready;
}

/** Whether the control plane holds a ClientConfig for the context and the context runs the data-plane operator. */
async function dataPlaneState(cp: Cluster, target: Cluster, namespace: string): Promise<{ registered: boolean; clientConfig?: string; why?: string }> {
  const [configs, operators] = await Promise.all([
    listObjects(cp.client, { ...CLIENT_CONFIG, namespace }),
    findOperators(target.client),
  ]);
  const cc = configs.find((c) => (c.spec?.contextName || c.metadata.name) === target.ctx.name);
  const op = operators.find((x: ExistingOperator) => x.namespace === namespace && x.mode === 'data-plane');
  if (cc && op) return { registered: true, clientConfig: cc.metadata.name };
  const missing = [cc ? '' : `no ClientConfig for it in ${cp.ctx.name}`, op ? '' : `no data-plane operator in its namespace ${namespace}`].filter(Boolean);
  return { registered: false, why: missing.join(' and ') };
}

interface SetUpContext { cp: Cluster; target: Cluster; operator: ExistingOperator; kc: KubeObject; deadline: number }

/**
 * Makes the target context a data plane with the install flow's own steps: preflight (with the
 * clusters of the existing datacenters, for cross-cluster checks), routability, install, register,
 * and wait for the operators (the control plane restarts when a ClientConfig is added).
 */
async function setUpDataPlane(o: AddDcOptions, c: SetUpContext, ui: Reporter, out: FlowResult): Promise<void> {
  const { cp, target, operator } = c;
  const namespace = operator.namespace;
  const clusterScoped = !!operator.clusterScoped;
  const { peers, unknownPeers } = await peerClusters(o, c, ui);
  const roleOf = (ctx: string): Role => (ctx === cp.ctx.name ? 'control-plane' : 'data-plane');
  // Without --manifests or --operator-version, the data plane gets the control plane's version.
  const operatorVersion = o.operatorVersion ?? (!o.manifests && /^v\d+\.\d+\.\d+$/.test(operator.version ?? '') ? operator.version : undefined);
  // The control plane's install record names the release and cert-manager it was installed from.
  const records = await readInstallRecords([cp, target], namespace);
  const release = await loadReleaseStep({ manifests: o.manifests, operatorVersion, clusterScoped }, ui, [...records.values()]);

  const near = new Set([cp.ctx.name, target.ctx.name]);
  const crossCluster = (ch: Check) => ch.id === 'K8S-SAME-CLUSTER' || ch.id === 'POD-CIDR-OVERLAP';
  const clusters = [cp, target, ...peers.filter((p) => !near.has(p.ctx.name))];
  const facts = await preflightStep(clusters, roleOf,
    { controlPlane: cp.ctx.name, namespace, operatorVersion: release.version, installCertManager: !o.skipCertManager, release }, ui, out.checks,
    (ch) => crossCluster(ch) || near.has(ch.context ?? ''));

  await ui.step('Routability between clusters', async (s) => {
    const r = await (o.checkRoutability ?? routabilityGate)({ command: 'add-dc', target, peers, unknownPeers, skip: o.skipRoutability,
      dryRun: o.dryRun, namespace, deadline: c.deadline, facts, note: s.note, progress: (what) => s.update(what) });
    const found = r.checks;
    if (r.report) out.routability = r.report;
    out.checks.push(...found);
    for (const ch of found.filter((x) => x.status !== 'pass')) s.note(`${ui.style.mark[ch.status]} [${ch.id}] ${ch.message}`);
    const bad = failed(found);
    if (bad.length) throw new CliError('checksFailed', bad[0]!.message, { hint: bad[0]!.hint });
  });

  const targetFacts = facts.filter((f) => f.context === target.ctx.name);
  const certManager = await loadCertManagerIfNeeded(o, targetFacts, ui, records);
  const installed = await installStep([target], roleOf, targetFacts, release, certManager,
    { namespace, dryRun: o.dryRun, force: o.force, skipCertManager: o.skipCertManager, deadline: c.deadline, records }, ui);
  await registerStep(cp, [target], { namespace, clusterScoped, dryRun: o.dryRun, force: o.force, tokenTtlSeconds: o.tokenTtlSeconds, apiServers: o.apiServers,
    interrupt: o.interrupt }, ui, out, installed.applied);
  const ready = o.wait && !o.dryRun ? await waitOperatorsStep([cp, target], namespace, release, c.deadline, ui, out.checks) : new Map<string, boolean>();
  out.clusters.push(...[target, cp].map((x) => clusterReport(x, roleOf(x.ctx.name), facts, release, certManager, installed, ready, namespace)));
}

/** The clusters that hold datacenters of this K8ssandraCluster, as far as the kubeconfig names them. */
async function peerClusters(o: AddDcOptions, c: SetUpContext, ui: Reporter): Promise<{ peers: Cluster[]; unknownPeers: string[] }> {
  const peers: Cluster[] = [];
  const unknownPeers: string[] = [];
  await Promise.all(datacenterContexts(c.kc).map(async (k8sContext) => {
    const name = k8sContext || c.cp.ctx.name;
    const known = [c.cp, c.target].find((x) => x.ctx.name === name);
    if (known) { peers.push(known); return; }
    try {
      peers.push(...await connect({ ...connectOptions(o, ui, c.deadline), contexts: [name] }));
    } catch {
      unknownPeers.push(name);
    }
  }));
  return { peers, unknownPeers };
}
