import type { Check } from '../checks/catalog.js';
import type { ClusterReport, DatacenterReport, K8ssandraClusterReport, RegistrationReport, RoutabilityReport } from '../report/model.js';
import type { Interrupt } from '../util/interrupt.js';

/** What every multi-cluster flow is given besides its own options. */
export interface ClusterFlowOptions {
  kubeconfig?: string;
  contexts: string[];
  controlPlane?: string;
  namespace: string;
  dryRun: boolean;
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  /** Ctrl-C: stops requests and waits (see util/interrupt.ts). */
  interrupt?: Interrupt;
  requestTimeoutMs?: number;
}

/**
 * What a flow fills in as it goes. main creates it before the flow runs, so that a flow that stops
 * half-way (a failed check, a timeout) still reports everything it had found.
 */
export interface FlowResult {
  command: string;
  clusters: ClusterReport[];
  registrations: RegistrationReport[];
  checks: Check[];
  routability?: RoutabilityReport;
  summary: string;
  datacenter?: DatacenterReport;
  dryRun: boolean;
  ok: boolean;
  /** The exit code when the flow ends without error but not ok (default: notReady). */
  failExit?: 'notReady' | 'unreachable' | 'checksFailed';
  /** status only (left out of the report when unset). */
  k8ssandraClusters?: K8ssandraClusterReport[];
  requests?: number;
}

export const newFlowResult = (command: string): FlowResult =>
  ({ command, clusters: [], registrations: [], checks: [], summary: '', dryRun: false, ok: false });
