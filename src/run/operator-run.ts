import type { CertManagerRelease } from '../manifests/cert-manager.js';
import type { OperatorRelease, ReleaseSourceOptions } from '../manifests/operator-release.js';
import type { ClusterFacts } from '../checks/preflight-facts.js';
import type { Check } from '../checks/catalog.js';
import type { Cluster, ConnectOptions } from '../kube/connect.js';
import type { InstallRecord } from '../plan/install-record.js';
import type { RegisterOptions } from '../registration/register.js';
import type { Reporter } from '../ui/reporter.js';
import type { Interrupt } from '../util/interrupt.js';
import { deadlineFrom } from '../util/wait.js';
import type { ClusterFlowOptions } from './flow-options.js';
import type { ReportDraft } from './report.js';
import type { RunContext } from './context.js';
import type { Target } from './target.js';

/** What the steps that connect to clusters share: how to connect, and the control plane once known. */
export interface ConnectedRun extends RunContext {
  readonly connection: Omit<ConnectOptions, 'contexts'>;
  readonly force: boolean;
  readonly interrupt?: Interrupt;
  cp?: Target;
  /** Every target but the control plane. */
  dataPlanes: Target[];
}

/** What registration needs besides the clusters (the same for install, add-dc and register). */
export type RegistrationSettings = Pick<RegisterOptions, 'clusterScoped' | 'tokenTtlSeconds' | 'apiServers' | 'keepServers' | 'rotate' | 'boundedTokens' | 'reachedFromControlPlane'>;

/** The register step's part of a run: the control plane, the data planes to register, and how. */
export interface RegisterRun extends ConnectedRun {
  registration: RegistrationSettings;
}

export interface CertManagerSource { certManagerManifests?: string; skipCertManager: boolean }

/**
 * A run that puts the operator into clusters (install, add-dc): which release from where, what
 * preflight found, and which clusters get the operator and which are waited for.
 */
export interface OperatorRun extends RegisterRun {
  releaseSource: ReleaseSourceOptions;
  readonly certManagerSource: CertManagerSource;
  readonly wait: boolean;
  records: Map<string, InstallRecord>;
  release?: OperatorRelease;
  certManager?: CertManagerRelease;
  facts: ClusterFacts[];
  /** The clusters the operator is installed into (install: all; add-dc: the new data plane). */
  installInto: Target[];
  /** Clusters that preflight and routability also look at, though nothing is done to them (add-dc: the other datacenters' clusters). */
  peers: Cluster[];
  /** Which preflight verdicts apply (add-dc keeps those of the clusters it touches, and the cross-cluster ones). */
  keepCheck?: (c: Check) => boolean;
}

/** A value an earlier step sets; its absence is a bug in the order of steps. */
export function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal: ${what} is not known yet at this step`);
  return value;
}

/** The start of every multi-cluster command's run: its deadline starts now; no clusters yet (the first step resolves them). */
export function connectedRun(o: ClusterFlowOptions, ui: Reporter, report: ReportDraft): ConnectedRun & { wait: boolean } {
  const deadline = deadlineFrom(o.timeoutMs);
  report.dryRun = o.dryRun;
  return {
    ui, report, deadline, signal: o.interrupt?.signal, namespace: o.namespace, dryRun: o.dryRun, force: o.force, wait: o.wait, interrupt: o.interrupt,
    connection: { kubeconfig: o.kubeconfig, env: o.env, log: ui.verbose, signal: o.interrupt?.signal, deadline, requestTimeoutMs: o.requestTimeoutMs, plugins: o.plugins },
    targets: [], dataPlanes: [],
  };
}
