// One way for every e2e file to bring a cluster of the bed back to "nothing installed", whatever files ran
// before it. No controller on the bed removes the finalizers of the operator's custom resources (the
// operators' pods are fake), so a custom resource left with a finalizer would keep its CRD, and the
// namespace it lives in, Terminating for ever: they are stripped of finalizers and deleted first, and only
// then is the release deleted and waited for.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { deleteObjects, kubectl, unlessNoSuchType } from './bed.js';
import { certManagerManifests, operatorManifests } from './cli.js';

const NS = 'k8ssandra-operator';
/** The control plane's account in a data plane, bound cluster-wide by a cluster-scoped registration. */
const CONTROL_PLANE_ACCOUNT = 'k8ssandra-control-plane';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any };

const parsed = new Map<string, Obj[]>();
/** The objects of a release file, parsed once per test file. */
export function releaseObjects(file: string): Obj[] {
  let objects = parsed.get(file);
  if (!objects) {
    objects = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj).filter((o) => o && o.kind);
    parsed.set(file, objects);
  }
  return objects;
}

/** Both variants of the operator release: whichever a file before this one installed. */
const RELEASE_FILES = ['control-plane.yaml', 'control-plane-cluster-scope.yaml'].map((f) => path.join(operatorManifests, f));

/**
 * Deletes every custom resource of the given CRDs that the cluster serves, in one namespace or in all,
 * after removing its finalizers: nothing on the bed would ever remove them.
 */
async function removeCustomResources(ctx: string, crds: Obj[], namespace?: string): Promise<void> {
  const where = namespace ? ['-n', namespace] : ['-A'];
  const served = new Set((await kubectl(ctx, 'get', 'crd', '-o', 'name')).split('\n').map((n) => n.replace(/^.*\//, '')));
  const resources = [...new Set(crds.map((c) => c.metadata.name))].filter((n) => served.has(n));
  await Promise.all(resources.map(async (resource) => {
    const items = (JSON.parse(await kubectl(ctx, 'get', resource, ...where, '-o', 'json')) as { items: (Obj & { metadata: { finalizers?: string[] } })[] }).items;
    await Promise.all(items.filter((o) => o.metadata.finalizers?.length).map((o) =>
      kubectl(ctx, '-n', o.metadata.namespace ?? '', 'patch', resource, o.metadata.name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}')
        .catch((e: Error) => { if (!/NotFound|not found/.test(e.message)) throw e; })));
    if (items.length) await kubectl(ctx, 'delete', resource, ...where, '--all', '--ignore-not-found', '--wait=true', '--timeout=60s');
  }));
}

/**
 * The operator's custom resources that earlier files left in a namespace of each context (K8ssandraClusters,
 * datacenters without status, tasks, replicated secrets), gone; the registrations (ClientConfigs) stay.
 * A move, for one, checks and carries them all.
 */
export async function clearOperatorObjects(contexts: string[], namespace = NS): Promise<void> {
  const crds = RELEASE_FILES.flatMap(releaseObjects).filter((x) => x.kind === 'CustomResourceDefinition' && x.spec?.names?.kind !== 'ClientConfig');
  await Promise.all(contexts.map((ctx) => removeCustomResources(ctx, crds, namespace)));
}

export interface RemoveInstallOptions {
  /** Also remove cert-manager (the stand-in the tests install), so that the next install installs it. */
  certManager?: boolean;
  /** Keep the operator's namespace (quicker: nothing to finalize); what the release and the registration put in it still goes. */
  keepNamespace?: boolean;
  /** Keep the operator's CRDs, and so the custom resources that other files' tests left (a control plane's K8ssandraClusters). */
  keepCrds?: boolean;
}

/**
 * Brings one cluster back to "nothing installed": no operator of either variant, no registration of it
 * in a control plane it hosts, no access of a control plane to it, and with `certManager` no cert-manager.
 * Waits until every deleted object is gone, and never waits on a CRD that still has custom resources.
 */
export async function removeInstall(ctx: string, o: RemoveInstallOptions = {}): Promise<void> {
  const release = RELEASE_FILES.flatMap(releaseObjects);
  const crds = release.filter((x) => x.kind === 'CustomResourceDefinition');
  const objects = release.filter((x) => !(o.keepCrds && x.kind === 'CustomResourceDefinition') && !(o.keepNamespace && x.kind === 'Namespace'));
  // A namespace or a CRD is deleted only once nothing in it can hold it back.
  if (!o.keepCrds || !o.keepNamespace) await removeCustomResources(ctx, crds, o.keepCrds ? NS : undefined);
  await deleteObjects(ctx, objects, '--wait=true', '--timeout=180s');
  await kubectl(ctx, 'delete', 'clusterrolebinding', CONTROL_PLANE_ACCOUNT, '--ignore-not-found');
  if (o.keepNamespace) await kubectl(ctx, '-n', NS, 'delete', 'serviceaccount,rolebinding', CONTROL_PLANE_ACCOUNT, '--ignore-not-found');
  if (o.certManager) await deleteObjects(ctx, releaseObjects(certManagerManifests), '--wait=true', '--timeout=180s');
  if (!o.keepNamespace) {
    const left = await kubectl(ctx, 'get', 'namespace', NS, '--ignore-not-found', '-o', 'name');
    if (left) throw new Error(`${ctx}: namespace ${NS} is still there after removing the install`);
  }
}

/** Removes a data plane's registration from the control plane (its ClientConfig and kubeconfig Secret), if any. */
export async function removeRegistration(controlPlane: string, dataPlane: string): Promise<void> {
  await kubectl(controlPlane, '-n', NS, 'delete', 'clientconfig', dataPlane, '--ignore-not-found').catch(unlessNoSuchType);
  await kubectl(controlPlane, '-n', NS, 'delete', 'secret', `${dataPlane}-kubeconfig`, '--ignore-not-found');
}
