import type { ExecPlugins } from '../kube/exec-plugin.js';
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
  /** The command's exec credential plugins (its terminal, --no-input), shared by its clients. */
  plugins?: ExecPlugins;
}
