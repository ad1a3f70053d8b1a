// What `k8ssandra export` writes and `move-control-plane --from-export` reads (pure: the file is read and
// written in src/flows/export.ts and src/flows/move-control-plane.ts). Never a token, key or kubeconfig:
// Secrets are named, with the contexts that hold replicas of them, and taken from there at restore.
import { parse, stringify } from 'yaml';
import { usageError } from '../errors.js';
import type { KubeObject } from '../model/object.js';
import type { InstallRecord } from './install-record.js';
import { selects, type ControlPlaneObjects } from './move.js';

export const EXPORT_KIND = 'K8ssandraControlPlaneExport';
export const EXPORT_VERSION = 'k8ssandra.io/export-v1';

export interface ExportedSecret {
  name: string;
  /** The contexts a ReplicatedSecret copies it to: where a restore finds it. Empty: no replica anywhere (named as missing at restore unless found). */
  replicatedTo: string[];
}

export interface ControlPlaneExport {
  context: string;
  namespace: string;
  exportedAt: string;
  record?: InstallRecord;
  objects: ControlPlaneObjects;
  secrets: ExportedSecret[];
}

/** Metadata that only describes the stored object in its cluster; kept: names, labels, annotations, finalizers, owners, uid (owners point at it). */
function exported(o: KubeObject): KubeObject {
  const { managedFields: _m, resourceVersion: _r, selfLink: _s, ...metadata } = o.metadata as Record<string, unknown>;
  return { ...o, metadata: metadata as KubeObject['metadata'] };
}

/** The export document of one control plane: its objects with status, and the Secrets they use by name only. */
export function buildExport(o: { context: string; namespace: string; now: Date; record?: InstallRecord; objects: ControlPlaneObjects;
  secrets: { name: string; labels?: Record<string, string> }[] }): ControlPlaneExport {
  const targets = (labels?: Record<string, string>) => [...new Set(o.objects.replicatedSecrets.filter((rs) => selects(rs, labels))
    .flatMap((rs) => (rs.spec?.replicationTargets ?? []).map((t: any) => t.k8sContextName as string)))].filter(Boolean).sort();
  return {
    context: o.context, namespace: o.namespace, exportedAt: o.now.toISOString(), ...(o.record ? { record: o.record } : {}),
    objects: {
      k8ssandraClusters: o.objects.k8ssandraClusters.map(exported), replicatedSecrets: o.objects.replicatedSecrets.map(exported),
      k8ssandraTasks: o.objects.k8ssandraTasks.map(exported), clientConfigs: o.objects.clientConfigs,
    },
    secrets: o.secrets.map((x) => ({ name: x.name, replicatedTo: targets(x.labels) })),
  };
}

export function renderExport(e: ControlPlaneExport): string {
  return `# k8ssandra export of the control plane ${e.context} (${e.exportedAt}). It holds no Secret data:\n`
    + `# Secrets are named and taken from a data plane that holds a replica at restore.\n`
    + stringify({ apiVersion: EXPORT_VERSION, kind: EXPORT_KIND, ...e });
}

/** Parses an export; anything else is a usage error naming the file. */
export function parseExport(text: string, file: string): ControlPlaneExport {
  let doc: any;
  try { doc = parse(text); } catch (e) { throw usageError(`${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, 'pass a file written by k8ssandra export'); }
  if (doc?.kind !== EXPORT_KIND || doc?.apiVersion !== EXPORT_VERSION || !doc.objects || !doc.context) {
    throw usageError(`${file} is not a k8ssandra export`, 'pass a file written by k8ssandra export');
  }
  const o = doc.objects;
  return { context: doc.context, namespace: doc.namespace, exportedAt: doc.exportedAt, record: doc.record, secrets: doc.secrets ?? [],
    objects: { k8ssandraClusters: o.k8ssandraClusters ?? [], replicatedSecrets: o.replicatedSecrets ?? [], k8ssandraTasks: o.k8ssandraTasks ?? [], clientConfigs: o.clientConfigs ?? [] } };
}
