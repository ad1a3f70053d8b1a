import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { check, type Check } from '../checks/catalog.js';
import type { KubeClient } from '../kube/client.js';
import { deleteObject, getObject, refOf } from '../kube/resources.js';
import { CONTROL_PLANE_SA, dataPlaneAccessObjects, registrationObjects, renderKubeconfig, RENEW_WHEN_LEFT, tokenExpiry } from './objects.js';
import type { RegistrationReport } from '../report/model.js';
import { isLoopbackHost } from '../util/cidr.js';
import { applyAll, type AppliedObject } from '../kube/apply.js';
import type { KubeObject } from '../kube/resources.js';
import type { Interrupt } from '../util/interrupt.js';
import type { Cluster } from '../kube/connect.js';
import { forEachCluster } from '../run/fan-out.js';
import type { Target } from '../run/target.js';
import { checkAccess, credentialFailure, operatorAccessAllowed, storedClient } from './credentials.js';

export interface RegisterOptions {
  namespace: string;
  clusterScoped: boolean;
  dryRun: boolean;
  force: boolean;
  tokenTtlSeconds: number;
  /** Server addresses the control plane should use, per data-plane context (default: the kubeconfig's). */
  apiServers: Record<string, string>;
  /** Mint fresh tokens even where the stored ones still work (rotation); the old ones stay valid until they expire. */
  rotate?: boolean;
  /** Shields the write batch from Ctrl-C (see registerDataPlanes). */
  interrupt?: Pick<Interrupt, 'shield'>;
}

interface Credentials { kubeconfig: string; expiresAt?: Date; reused: boolean }
interface Prepared { dp: Cluster; server: string; creds: Credentials; verified: boolean; objs: { secret: KubeObject; clientConfig: KubeObject } }

/**
 * Registers data planes with the control plane. Per data plane (in parallel): its service
 * account and binding, then credentials (kept while they work and are far from expiry, else a fresh
 * bounded token) checked against the data plane before anything is stored, so a working registration
 * is never replaced by a broken one. Then one batch in the control plane, every Secret before every
 * ClientConfig, because its operator restarts on each change of them and crash-loops on a ClientConfig
 * whose Secret is missing. The batch is shielded from Ctrl-C: it is written whole, then the command stops.
 */
export async function registerDataPlanes(cpTarget: Target, dataPlanes: Target[], opts: RegisterOptions,
  note: (line: string) => void): Promise<{ registrations: RegistrationReport[]; checks: Check[] }> {
  const checks: Check[] = [];
  const cp = cpTarget.cluster;
  const prepared: Prepared[] = [];
  // Every data plane is prepared to the end even when one fails, so that each one's outcome is known.
  await forEachCluster('register', dataPlanes, async (t) => {
    const dp = t.cluster;
    const server = opts.apiServers[dp.ctx.name] ?? dp.ctx.server;
    checks.push(serverAddressCheck(dp.ctx.name, server, !!opts.apiServers[dp.ctx.name]));
    const access = dataPlaneAccessObjects(opts.namespace, opts.clusterScoped);
    const accessApplied = await applyAll(dp.client, access, opts);
    const creds = await credentialsFor(cp.client, dp, server, opts);
    const verified = opts.dryRun ? false : await verifyCredentials(dp, creds.kubeconfig, opts, checks);
    // Credentials that fail verification are never stored; what this run created for them goes too,
    // so that a failed run leaves the data plane as it found it.
    t.objects.push(...(!opts.dryRun && !verified ? await undoCreated(dp, access, accessApplied) : accessApplied));
    prepared.push({ dp, server, creds, verified, objs: registrationObjects(dp.ctx.name, opts.namespace, creds.kubeconfig) });
  });
  // In the order of dataPlanes, whichever finished first.
  prepared.sort((a, b) => dataPlanes.findIndex((t) => t.cluster === a.dp) - dataPlanes.findIndex((t) => t.cluster === b.dp));
  const ready = prepared.filter((p) => opts.dryRun || p.verified);
  const shield = opts.interrupt?.shield ?? (<T>(fn: () => Promise<T>) => fn());
  const [secrets, clientConfigs] = await shield(() => writeBatch(cp, ready.map((p) => p.objs), opts));
  cpTarget.objects.push(...secrets, ...clientConfigs);
  // applyAll answers in input order: the i-th Secret and ClientConfig are those of ready[i].
  const written = new Map(ready.map((p, i) => [p, [secrets[i]!.action, clientConfigs[i]!.action]]));
  const registrations: RegistrationReport[] = prepared.map((p) => {
    const actions = written.get(p);
    const action = !actions ? 'kept' : actions.includes('created') ? 'created' : actions.includes('changed') ? 'changed' : 'unchanged';
    note(!actions
      ? `${p.dp.ctx.name}: not registered: its credentials failed verification; nothing was written in ${cp.ctx.name}`
      : `${p.dp.ctx.name}: ClientConfig ${p.objs.clientConfig.metadata.name} ${action}${p.verified ? ', credentials verified' : ''}${p.creds.reused || opts.dryRun ? '' : ', new token'}`);
    return { context: p.dp.ctx.name, clientConfig: p.objs.clientConfig.metadata.name, secret: p.objs.secret.metadata.name,
      serviceAccount: `${opts.namespace}/${CONTROL_PLANE_SA}`, server: p.server, verified: p.verified, action,
      tokenExpiresAt: actions ? p.creds.expiresAt?.toISOString() : undefined };
  });
  return { registrations, checks };
}

/**
 * The control plane's batch: every Secret before any ClientConfig. Its operator crash-loops on a
 * ClientConfig whose Secret is missing, and restarts on each change, so the order is the contract.
 */
export async function writeBatch(cp: Cluster, objs: { secret: KubeObject; clientConfig: KubeObject }[], opts: { dryRun?: boolean; force?: boolean }) {
  const secrets = await applyAll(cp.client, objs.map((o) => o.secret), opts);
  return [secrets, await applyAll(cp.client, objs.map((o) => o.clientConfig), opts)] as const;
}

/** Deletes the objects this run created (and only those); answers what remains to report. */
async function undoCreated(dp: Cluster, objs: KubeObject[], applied: AppliedObject[]): Promise<AppliedObject[]> {
  const created = objs.filter((_, i) => applied[i]!.action === 'created');
  for (const o of created.reverse()) {
    await deleteObject(dp.client, { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
  }
  const removed = new Set(created.map(refOf));
  return applied.filter((a) => !removed.has(a.ref));
}

function serverAddressCheck(context: string, server: string, overridden: boolean): Check {
  const host = new URL(server).hostname;
  if (isLoopbackHost(host)) {
    return check('REGISTER-SERVER-ADDRESS', 'warn', `${context}: the control plane will reach its API server at ${server}, a loopback address`, { context,
      hint: `pods of the control-plane cluster cannot reach a loopback address unless both clusters share a host; pass --api-server ${context}=https://ADDRESS:PORT` });
  }
  return check('REGISTER-SERVER-ADDRESS', 'pass', `${context}: API server address ${server}${overridden ? ' (from --api-server)' : ''}`, { context });
}

/** Keeps working credentials that are far from expiry; mints a bounded token through TokenRequest otherwise. */
async function credentialsFor(cp: KubeClient, dp: Cluster, server: string, opts: RegisterOptions): Promise<Credentials> {
  const existing = opts.rotate ? undefined : await existingKubeconfig(cp, dp.ctx.name, opts.namespace);
  if (existing && existing.server === server && existing.token) {
    const exp = tokenExpiry(existing.token);
    const renewAt = exp ? exp.getTime() - opts.tokenTtlSeconds * 1000 * RENEW_WHEN_LEFT : Infinity;
    if (Date.now() < renewAt && (await tokenWorks(dp, existing.kubeconfig, opts.namespace))) {
      return { kubeconfig: existing.kubeconfig, expiresAt: exp, reused: true };
    }
  }
  const caData = await caDataFor(dp, opts.namespace);
  if (opts.dryRun) {
    return { kubeconfig: renderKubeconfig({ context: dp.ctx.name, server, caData, token: '<minted at install>', namespace: opts.namespace }), reused: false };
  }
  const tr = await dp.client.request<{ status: { token: string; expirationTimestamp: string } }>({
    // Sending it twice is harmless (idempotent for retries): it persists nothing, and a token that is
    // never stored simply expires.
    method: 'POST', path: `/api/v1/namespaces/${opts.namespace}/serviceaccounts/${CONTROL_PLANE_SA}/token`, idempotent: true,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: opts.tokenTtlSeconds } },
  });
  const insecure = (dp.ctx.kubeconfig.clusters as any[])[0].cluster['insecure-skip-tls-verify'] === true;
  return {
    kubeconfig: renderKubeconfig({ context: dp.ctx.name, server, caData, insecure, token: tr.status.token, namespace: opts.namespace }),
    expiresAt: new Date(tr.status.expirationTimestamp), reused: false,
  };
}

async function existingKubeconfig(cp: KubeClient, context: string, namespace: string) {
  const { secret } = registrationObjects(context, namespace, '');
  const s = await getObject(cp, { apiVersion: 'v1', kind: 'Secret', namespace, name: secret.metadata.name });
  const b64 = s?.data?.kubeconfig;
  if (!b64) return undefined;
  const kubeconfig = Buffer.from(b64, 'base64').toString('utf8');
  try {
    const k = parse(kubeconfig) as any;
    return { kubeconfig, server: k.clusters?.[0]?.cluster?.server as string | undefined, token: k.users?.[0]?.user?.token as string | undefined };
  } catch {
    return undefined;
  }
}

/** The CA the control plane should trust: the user's kubeconfig's, else the cluster's own root CA. */
async function caDataFor(dp: Cluster, namespace: string): Promise<string | undefined> {
  const cluster = (dp.ctx.kubeconfig.clusters as any[])[0].cluster;
  if (cluster['certificate-authority-data']) return cluster['certificate-authority-data'];
  if (cluster['certificate-authority']) return readFileSync(cluster['certificate-authority']).toString('base64');
  const cm = await getObject(dp.client, { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'kube-root-ca.crt' });
  return cm?.data?.['ca.crt'] ? Buffer.from(cm.data['ca.crt']).toString('base64') : undefined;
}

async function tokenWorks(dp: Cluster, kubeconfig: string, namespace: string): Promise<boolean> {
  try {
    return await operatorAccessAllowed(await storedClient(kubeconfig, dp.ctx.name, { timeoutMs: 10_000, signal: dp.client.signal }), namespace);
  } catch {
    dp.client.signal?.throwIfAborted();
    return false;
  }
}

/**
 * Proves the stored kubeconfig works as intended: it authenticates to the data plane and grants what
 * the mode intends, no less and no more (see intendedAccess: cluster scope grants Secrets everywhere on
 * purpose; neither mode grants RBAC writes or wildcards).
 */
async function verifyCredentials(dp: Cluster, kubeconfig: string, opts: RegisterOptions, checks: Check[]): Promise<boolean> {
  const context = dp.ctx.name;
  const mode = opts.clusterScoped ? 'cluster-scoped' : 'namespace-scoped';
  try {
    const client = await storedClient(kubeconfig, context, { timeoutMs: 10_000, signal: dp.client.signal });
    const { missing, excess } = await checkAccess(client, opts.namespace, opts.clusterScoped);
    if (!missing.length && !excess.length) {
      checks.push(check('REGISTRATION-VERIFIED', 'pass', `${context}: the ClientConfig's credentials authenticate with the intended ${mode} permissions`, { context }));
      return true;
    }
    const binding = opts.clusterScoped ? 'ClusterRoleBinding k8ssandra-control-plane and the ClusterRole' : 'RoleBinding k8ssandra-control-plane and the Role';
    checks.push(check('REGISTRATION-VERIFIED', 'fail', `${context}: the ClientConfig's credentials ${excess.length
      ? `grant more than intended for ${mode} mode (they may ${excess.join(', ')})` : `lack the operator role (they may not ${missing.join(', ')})`}`,
    { context, hint: `check the ${binding} k8ssandra-operator in the data plane${excess.length ? ', and other bindings of the service account k8ssandra-control-plane' : ''}` }));
  } catch (e) {
    dp.client.signal?.throwIfAborted();
    const why = credentialFailure(e).reason;
    checks.push(check('REGISTRATION-VERIFIED', 'fail', `${context}: the ClientConfig's credentials do not work: ${why}`,
      { context, hint: 'if the address is reachable only from the control-plane cluster, pass --api-server with an address reachable from here too' }));
  }
  return false;
}
