import type { Check } from '../checks/catalog.js';
import type { ExitCodeName } from '../errors.js';
import type { ApplyAction } from '../kube/resources.js';

/** The versioned schema of every machine-readable report (schema/report.schema.json). */
export const REPORT_SCHEMA_VERSION = 'k8ssandra.io/report/v1';

export interface Changes { created: number; changed: number; unchanged: number; deleted?: number; kept?: number }

/** What a command did to an object: applied (install, register) or removed/left alone (uninstall). */
export type ObjectAction = ApplyAction | 'deleted' | 'kept';

export interface ClusterReport {
  context: string;
  /** 'none': no operator found (uninstall of a cluster without one). */
  role: 'control-plane' | 'data-plane' | 'none';
  server: string;
  kubernetesVersion?: string;
  operatorVersion?: string;
  cassOperatorVersion?: string;
  certManager?: 'present' | 'installed' | 'missing';
  namespace: string;
  ready: boolean;
  changes: Changes;
  objects: { ref: string; action: ObjectAction; reason?: string }[];
  elapsedMs: number;
}

export interface RegistrationReport {
  context: string;
  clientConfig: string;
  secret: string;
  serviceAccount: string;
  server: string;
  verified: boolean;
  action: ObjectAction;
  tokenExpiresAt?: string;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  command: string;
  ok: boolean;
  exitCode: number;
  dryRun: boolean;
  clusters: ClusterReport[];
  registrations: RegistrationReport[];
  checks: Check[];
  summary: string;
  error?: { message: string; hint?: string; exit: ExitCodeName };
  elapsedMs: number;
}

export const noChanges = (): Changes => ({ created: 0, changed: 0, unchanged: 0 });

export function countChanges(objects: { action: ObjectAction }[]): Changes {
  const c = noChanges();
  for (const o of objects) c[o.action] = (c[o.action] ?? 0) + 1;
  return c;
}
