import { existsSync } from 'node:fs';
import path from 'node:path';
import type { KubeObject } from '../model/object.js';
import type { CertManagerRelease } from '../manifests/cert-manager.js';
import type { OperatorRelease, Role } from '../manifests/operator-release.js';
import { version } from '../version.js';
import { loadTemplate } from './templates.js';

/** Where a release came from: the absolute path given with --manifests (or --cert-manager-manifests), or the official release. */
export type ReleaseSource = string;
export const OFFICIAL = 'official';

/** What k8ssandra installed in one cluster, and from where (the ConfigMap `k8ssandra-install` in the operator namespace). */
export interface InstallRecord {
  /** The version of k8ssandra that wrote the record. */
  tool: string;
  role: Role;
  clusterScoped: boolean;
  operatorVersion: string;
  cassOperatorVersion?: string;
  operatorSource: ReleaseSource;
  /** Set only where k8ssandra installed cert-manager. */
  certManagerVersion?: string;
  certManagerSource?: ReleaseSource;
  /** Set by `upgrade` while it moves this cluster to another release; the record without it is written once it is there. */
  upgradingTo?: string;
  /** Set by `move-control-plane` on both clusters while the control plane moves from one to the other; the records without them are written once it is there. */
  movingFrom?: string;
  movingTo?: string;
}

export const INSTALL_RECORD_NAME = 'k8ssandra-install';

export function installRecordObject(namespace: string, r: InstallRecord): KubeObject {
  const [cm] = loadTemplate('install-record.yaml') as [KubeObject];
  cm.metadata.namespace = namespace;
  cm.data = Object.fromEntries(Object.entries({ ...r, clusterScoped: String(r.clusterScoped) }).filter(([, v]) => v !== undefined));
  return cm;
}

/** The record in a ConfigMap; undefined when it is not one (missing fields: written by hand or by something else). */
export function parseInstallRecord(cm: KubeObject | null | undefined): InstallRecord | undefined {
  const d = cm?.data as Record<string, string> | undefined;
  if (!d?.operatorVersion || !d.operatorSource || (d.role !== 'control-plane' && d.role !== 'data-plane')) return undefined;
  return { tool: d.tool ?? 'unknown', role: d.role, clusterScoped: d.clusterScoped === 'true', operatorVersion: d.operatorVersion,
    cassOperatorVersion: d.cassOperatorVersion, operatorSource: d.operatorSource, certManagerVersion: d.certManagerVersion, certManagerSource: d.certManagerSource,
    ...(d.upgradingTo ? { upgradingTo: d.upgradingTo } : {}),
    ...(d.movingFrom && d.movingTo ? { movingFrom: d.movingFrom, movingTo: d.movingTo } : {}) };
}

/** A recorded local source that can be read again here (official releases need no path). */
const readable = (source: string | undefined) => !!source && source !== OFFICIAL && path.isAbsolute(source) && existsSync(source);

/**
 * The operator release a re-run uses when no --manifests is given: the first record (callers put the
 * control plane's first) of the same variant, and of the asked version if one is asked, whose source
 * is still here. Undefined: load the official release.
 */
export function recordedOperatorSource(records: InstallRecord[], want: { clusterScoped: boolean; version?: string }):
  { path: string; version: string } | undefined {
  const r = records.find((x) => x.clusterScoped === want.clusterScoped && (!want.version || x.operatorVersion === want.version) && readable(x.operatorSource));
  return r ? { path: r.operatorSource, version: r.operatorVersion } : undefined;
}

/** The cert-manager release to apply again where k8ssandra installed it, when no --cert-manager-manifests is given. */
export function recordedCertManager(records: InstallRecord[]): { path?: string; version: string } | undefined {
  const withCm = records.filter((r) => r.certManagerVersion);
  const local = withCm.find((r) => readable(r.certManagerSource));
  if (local) return { path: local.certManagerSource, version: local.certManagerVersion! };
  return withCm[0] ? { version: withCm[0].certManagerVersion! } : undefined;
}

/** What this run installs into a cluster, for its install record; cert-manager as applied now, else as recorded before. */
export function recordFor(role: Role, release: OperatorRelease, certManager: CertManagerRelease | undefined, before: InstallRecord | undefined): InstallRecord {
  return {
    tool: version(), role, clusterScoped: release.clusterScoped, operatorVersion: release.version, cassOperatorVersion: release.cassOperatorVersion,
    operatorSource: release.manifestsPath ?? OFFICIAL,
    ...(certManager ? { certManagerVersion: certManager.version, certManagerSource: certManager.path ?? OFFICIAL }
      : before?.certManagerVersion ? { certManagerVersion: before.certManagerVersion, certManagerSource: before.certManagerSource } : {}),
  };
}
