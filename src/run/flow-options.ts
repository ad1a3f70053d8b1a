import type { Interrupt } from '../util/interrupt.js';

/** What every multi-cluster flow is given besides its own options. */
export interface ClusterFlowOptions {
  kubeconfig?: string;
  /** The host's environment (KUBECONFIG). */
  env: NodeJS.ProcessEnv;
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
