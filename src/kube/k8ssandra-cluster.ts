import { CliError } from '../errors.js';
import { ApiError, type KubeClient } from './client.js';
import { FIELD_MANAGER } from '../model/field-manager.js';
import type { KubeObject } from '../model/object.js';
import { getObject, listObjects, objectPath } from './resources.js';
import { datacenterPatch, datacenterProgress, type DatacenterPlan } from '../plan/datacenter.js';
import { CASSANDRA_DATACENTER, K8SSANDRA_CLUSTER } from '../model/kinds.js';
import { closest } from '../util/closest.js';
import { waitUntil } from '../util/wait.js';

export interface ClusterRef { namespace: string; name: string }

/** Reads the K8ssandraCluster from the control plane; a missing one is a usage error naming the ones that exist. */
export async function readCluster(client: KubeClient, ref: ClusterRef): Promise<KubeObject> {
  const kc = await getObject(client, { ...K8SSANDRA_CLUSTER, ...ref });
  if (kc) return kc;
  const names = await listObjects(client, { ...K8SSANDRA_CLUSTER, namespace: ref.namespace }).then((l) => l.map((k) => k.metadata.name), (e) => {
    if (e instanceof ApiError && e.status === 404) {
      throw new CliError('usage', `context ${client.context} does not serve K8ssandraClusters (the k8ssandra.io CRDs are missing)`,
        { context: client.context, hint: 'pass the control plane with --control-plane' });
    }
    throw e;
  });
  const near = closest(ref.name, names);
  throw new CliError('usage', `K8ssandraCluster ${ref.name} not found in namespace ${ref.namespace} (context ${client.context})`, {
    context: client.context,
    hint: near ? `did you mean --cluster ${near}?` : names.length ? `K8ssandraClusters in ${ref.namespace}: ${names.join(', ')}` : 'pass its namespace with --namespace',
  });
}

/** Sends a JSON patch to the K8ssandraCluster under our field manager; `dryRun` has the API server validate it and store nothing. */
export async function patchCluster(client: KubeClient, kc: KubeObject, ops: object[], dryRun: boolean): Promise<KubeObject> {
  const path = await objectPath(client, { ...K8SSANDRA_CLUSTER, namespace: kc.metadata.namespace, name: kc.metadata.name });
  return client.request<KubeObject>({
    method: 'PATCH', path, body: ops, contentType: 'application/json-patch+json',
    query: { fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined },
  });
}

/**
 * Sets one annotation of ours on the K8ssandraCluster (a merge patch: nothing else of the object is
 * touched, whoever owns it). The operator reconciles on an annotation change at once, where after a
 * failed attempt it waits a growing delay (seen: 82 s, 164 s, 328 s).
 */
export async function annotateCluster(client: KubeClient, ref: ClusterRef, key: string, value: string): Promise<void> {
  const path = await objectPath(client, { ...K8SSANDRA_CLUSTER, ...ref });
  await client.request({ method: 'PATCH', path, body: { metadata: { annotations: { [key]: value } } }, contentType: 'application/merge-patch+json',
    query: { fieldManager: FIELD_MANAGER } });
}

export interface AddDatacenterOptions {
  dryRun: boolean;
  /** How many times to read, plan and patch when someone else changes the object in between. */
  attempts?: number;
  note?: (line: string) => void;
  /** Runs between the validated plan and the patch of each attempt (tests use it to edit the object concurrently). */
  beforePatch?: (attempt: number) => Promise<void>;
}

export interface AddDatacenterResult { plan: DatacenterPlan; cluster: KubeObject; attempts: number }

const isConflict = (e: unknown) => e instanceof ApiError && e.status === 409;

/**
 * Appends the datacenter without ever overwriting a concurrent edit: each attempt reads the object,
 * plans against what it read, has the API server validate the patch (server-side dry run, real CRD
 * schema), then sends it with the resourceVersion it read. A 409 means the object changed in between:
 * read again and re-plan, a bounded number of times.
 */
export async function addDatacenter(client: KubeClient, ref: ClusterRef, planFor: (kc: KubeObject) => DatacenterPlan,
  o: AddDatacenterOptions): Promise<AddDatacenterResult> {
  const max = o.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const kc = await readCluster(client, ref);
    const plan = planFor(kc);
    if (plan.action === 'unchanged') return { plan, cluster: kc, attempts: attempt };
    try {
      const checked = await validateDatacenter(client, ref, kc, plan);
      if (o.dryRun) return { plan, cluster: checked, attempts: attempt };
      await o.beforePatch?.(attempt);
      return { plan, cluster: await patchCluster(client, kc, datacenterPatch(kc, plan), false), attempts: attempt };
    } catch (e) {
      if (!isConflict(e)) throw e;
      if (attempt >= max) {
        throw new CliError('conflict', `K8ssandraCluster ${ref.name} changed under every one of ${max} attempts to add the datacenter`,
          { context: client.context, hint: 'something keeps rewriting it; re-run when it has settled' });
      }
      o.note?.(`K8ssandraCluster ${ref.name} changed since it was read (attempt ${attempt}); reading it again`);
    }
  }
}

/**
 * The server-side dry run of the patch: the real CRD schema (and admission webhooks, where they run)
 * judge the new datacenter and nothing is stored. A refusal is a usage error; a 409 passes through.
 */
export async function validateDatacenter(client: KubeClient, ref: ClusterRef, kc: KubeObject, plan: DatacenterPlan): Promise<KubeObject> {
  try {
    return await patchCluster(client, kc, datacenterPatch(kc, plan), true);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 422 || e.status === 400 || /admission webhook/.test(e.message))) {
      throw new CliError('usage', `the API server refuses datacenter ${plan.entry.metadata.name} in K8ssandraCluster ${ref.name}: ${e.message}`,
        { context: e.context, hint: 'nothing was changed; fix the flag the message names, or the datacenter the settings were copied from (--copy-from)' });
    }
    throw e;
  }
}

export interface DatacenterWait { client: KubeClient; namespace: string; name: string; deadline: number; onState?: (state: string) => void }

/** Waits until cass-operator reports the CassandraDatacenter Ready (progress Ready and condition Ready True). */
export async function waitDatacenterReady(w: DatacenterWait): Promise<string> {
  let state = '';
  const seen = (s: string) => { if (s !== state) { state = s; w.onState?.(s); } };
  await waitUntil(`CassandraDatacenter ${w.name} in ${w.client.context} to be Ready`, async () => {
    const cdc = await getObject(w.client, { ...CASSANDRA_DATACENTER, namespace: w.namespace, name: w.name });
    if (!cdc) return void seen('not created yet');
    const p = datacenterProgress(cdc.status);
    seen(p.state);
    return p.ready ? true : undefined;
  }, { deadline: w.deadline, intervalMs: 500, signal: w.client.signal }, () => state || undefined);
  return state;
}
