import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { check, type Check } from '../checks/catalog.js';
import type { KubeClient } from '../kube/client.js';
import { refOf } from '../model/object.js';
import { deleteObject, getObject, listObjects } from '../kube/resources.js';
import { CONTROL_PLANE_SA, dataPlaneAccessObjects, describeToken, humanDuration, lifetimeCapped, registrationObjects, renderKubeconfig, renewalDue, RENEW_WHEN_LEFT,
  tokenClaims, TOKEN_SECRET_LABEL, tokenSecretName, tokenSecretObject, type CredentialKind } from './objects.js';
import { waitUntil } from '../util/wait.js';
import type { RegistrationReport } from '../report/model.js';
import { isLoopbackHost } from '../util/cidr.js';
import { applyAll, listAhead, type AppliedObject, type MetadataLists } from '../kube/apply.js';
import type { KubeObject } from '../model/object.js';
import type { Interrupt } from '../util/interrupt.js';
import type { Cluster } from '../kube/connect.js';
import { forEachCluster } from '../run/fan-out.js';
import type { Target } from '../run/target.js';
import { checkAccess, credentialFailure, storedClient, type AccessVerdict } from './credentials.js';

export interface RegisterOptions {
  namespace: string;
  clusterScoped: boolean;
  dryRun: boolean;
  force: boolean;
  tokenTtlSeconds: number;
  /** The host's environment: stored credentials are checked through its proxies (HTTPS_PROXY, NO_PROXY). */
  env?: NodeJS.ProcessEnv;
  /** Server addresses the control plane should use, per data-plane context (default: the kubeconfig's). */
  apiServers: Record<string, string>;
  /**
   * A data plane already registered keeps the address its stored kubeconfig names (upgrade: registrations
   * stay as they are, whether the address came from --api-server, the probe or the kubeconfig, which may
   * reach the cluster another way); apiServers, else the kubeconfig's, for the others.
   */
  keepServers?: boolean;
  /** Data planes whose address (apiServers, else the kubeconfig's) the probe reached from a pod of the control plane. */
  reachedFromControlPlane?: string[];
  /** Mint fresh tokens even where the stored ones still work (rotation); the old ones stay valid until they expire. */
  rotate?: boolean;
  /**
   * Only bounded tokens (TokenRequest), even where the API server caps their lifetime below
   * tokenTtlSeconds; by default such a data plane gets a service-account token Secret instead.
   */
  boundedTokens?: boolean;
  /** The command's deadline, for waiting on a token Secret's token. */
  deadline?: number;
  /** Shields the write batch from Ctrl-C (see registerDataPlanes). */
  interrupt?: Pick<Interrupt, 'shield'>;
}

interface Credentials {
  kubeconfig: string;
  kind: CredentialKind;
  expiresAt?: Date;
  reused: boolean;
  /** Bounded tokens: the lifetime asked and granted (they differ where the API server caps them). */
  askedSeconds?: number;
  grantedSeconds?: number;
  /** `secret`: the token Secret whose token this is (and whether this run created it). */
  tokenSecret?: string;
  createdTokenSecret?: boolean;
}
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
    const given = opts.apiServers[dp.ctx.name];
    // The registration stored now: its credentials are kept where they still work (not when rotating), and its address with keepServers.
    // The stored registration is read while the data plane's access objects are applied: neither needs the other.
    const access = dataPlaneAccessObjects(opts.namespace, opts.clusterScoped);
    const [existing, accessApplied] = await Promise.all([
      opts.rotate && !opts.keepServers ? undefined : existingKubeconfig(cp.client, dp.ctx.name, opts.namespace),
      applyAll(dp.client, access, opts),
    ]);
    const stored = opts.keepServers && !given ? existing?.server : undefined;
    const server = given ?? stored ?? dp.ctx.server;
    checks.push(serverAddressCheck(dp.ctx.name, server, given ? '--api-server' : stored ? 'its registration' : undefined,
      !!opts.reachedFromControlPlane?.includes(dp.ctx.name)));
    const accessOf = storedAccess(dp, opts);
    const creds = await credentialsFor(dp, server, opts.rotate ? undefined : existing, opts, checks, opts.deadline ?? Date.now() + 60_000, accessOf);
    const verified = opts.dryRun ? false : await verifyCredentials(dp, creds.kubeconfig, opts, checks, accessOf);
    // Credentials that fail verification are never stored; what this run created for them goes too,
    // so that a failed run leaves the data plane as it found it.
    t.objects.push(...(!opts.dryRun && !verified ? await undoCreated(dp, access, accessApplied) : accessApplied));
    if (!opts.dryRun && !verified && creds.createdTokenSecret) await deleteObject(dp.client, { apiVersion: 'v1', kind: 'Secret', namespace: opts.namespace, name: creds.tokenSecret! });
    if (creds.createdTokenSecret && (opts.dryRun || verified)) t.objects.push({ ref: `Secret/${opts.namespace}/${creds.tokenSecret}`, action: 'created' });
    prepared.push({ dp, server, creds, verified, objs: registrationObjects(dp.ctx.name, opts.namespace, creds.kubeconfig) });
  });
  // In the order of dataPlanes, whichever finished first.
  prepared.sort((a, b) => dataPlanes.findIndex((t) => t.cluster === a.dp) - dataPlanes.findIndex((t) => t.cluster === b.dp));
  const ready = prepared.filter((p) => opts.dryRun || p.verified);
  const shield = opts.interrupt?.shield ?? (<T>(fn: () => Promise<T>) => fn());
  const [secrets, clientConfigs] = await shield(() => writeBatch(cp, ready.map((p) => p.objs), opts));
  cpTarget.objects.push(...secrets, ...clientConfigs);
  // The ClientConfigs now hold the new credentials: token Secrets of ours that they no longer use go.
  if (!opts.dryRun) {
    await Promise.all(ready.map(async (p) => {
      const gone = await removeStaleTokenSecrets(p.dp, opts.namespace, p.creds.tokenSecret);
      const target = dataPlanes.find((t) => t.cluster === p.dp)!;
      target.objects.push(...gone.map((name) => ({ ref: `Secret/${opts.namespace}/${name}`, action: 'deleted' as const })));
    }));
  }
  // applyAll answers in input order: the i-th Secret and ClientConfig are those of ready[i].
  const written = new Map(ready.map((p, i) => [p, [secrets[i]!.action, clientConfigs[i]!.action]]));
  const registrations: RegistrationReport[] = prepared.map((p) => {
    const actions = written.get(p);
    const action = !actions ? 'kept' : actions.includes('created') ? 'created' : actions.includes('changed') ? 'changed' : 'unchanged';
    note(!actions
      ? `${p.dp.ctx.name}: not registered: its credentials failed verification; nothing was written in ${cp.ctx.name}`
      : `${p.dp.ctx.name}: ClientConfig ${p.objs.clientConfig.metadata.name} ${action}${p.verified ? ', credentials verified' : ''}${p.creds.reused || opts.dryRun ? ''
        : p.creds.kind === 'secret' ? `, new token Secret ${p.creds.tokenSecret}` : ', new token'}`);
    return { context: p.dp.ctx.name, clientConfig: p.objs.clientConfig.metadata.name, secret: p.objs.secret.metadata.name,
      serviceAccount: `${opts.namespace}/${CONTROL_PLANE_SA}`, server: p.server, verified: p.verified, action,
      tokenExpiresAt: actions ? p.creds.expiresAt?.toISOString() : undefined, credential: p.creds.kind,
      ...(p.creds.askedSeconds ? { tokenLifetimeAskedSeconds: p.creds.askedSeconds } : {}),
      ...(p.creds.grantedSeconds ? { tokenLifetimeGrantedSeconds: p.creds.grantedSeconds } : {}) };
  });
  // Each data plane's checks in the order of dataPlanes, whichever finished first (a stable sort keeps theirs).
  const order = (c: Check) => dataPlanes.findIndex((t) => t.cluster.ctx.name === c.context);
  return { registrations, checks: checks.sort((a, b) => order(a) - order(b)) };
}

/**
 * The control plane's batch: every Secret before any ClientConfig. Its operator crash-loops on a
 * ClientConfig whose Secret is missing, and restarts on each change, so the order is the contract.
 */
export async function writeBatch(cp: Cluster, objs: { secret: KubeObject; clientConfig: KubeObject }[], opts: { dryRun?: boolean; force?: boolean }) {
  // Both kinds are listed at once (the writes keep their order): a batch that changes nothing is one round trip.
  const lists: MetadataLists = new Map();
  listAhead(cp.client, lists, objs.flatMap((o) => [o.secret, o.clientConfig]));
  const secrets = await applyAll(cp.client, objs.map((o) => o.secret), opts, lists);
  return [secrets, await applyAll(cp.client, objs.map((o) => o.clientConfig), opts, lists)] as const;
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

type StoredRegistration = Awaited<ReturnType<typeof existingKubeconfig>>;

/** `from`: where the address came from when not the kubeconfig. */
function serverAddressCheck(context: string, server: string, from: string | undefined, reached: boolean): Check {
  const host = new URL(server).hostname;
  if (reached) return check('REGISTER-SERVER-ADDRESS', 'pass', `${context}: API server address ${server}, reached from a pod of the control plane`, { context });
  if (isLoopbackHost(host)) {
    return check('REGISTER-SERVER-ADDRESS', 'warn', `${context}: the control plane will reach its API server at ${server}, a loopback address`, { context,
      hint: `pods of the control-plane cluster cannot reach a loopback address unless both clusters share a host; pass --api-server ${context}=https://ADDRESS:PORT` });
  }
  return check('REGISTER-SERVER-ADDRESS', 'pass', `${context}: API server address ${server}${from ? ` (from ${from})` : ''}`, { context });
}

/**
 * Keeps working credentials with more than a third of their lifetime left (a token Secret's never
 * ends); otherwise mints a bounded token through TokenRequest. Where the API server grants less than
 * asked (a cap, as on EKS and GKE), says so, and by default uses a service-account token Secret
 * instead, which lasts; with boundedTokens, keeps the short token and says how often to renew it.
 */
/** `existing`: the registration stored now, whose credentials are kept when they still work. */
async function credentialsFor(dp: Cluster, server: string, existing: StoredRegistration | undefined, opts: RegisterOptions, checks: Check[],
  deadline: number, accessOf: StoredAccess): Promise<Credentials> {
  const context = dp.ctx.name;
  if (existing && existing.server === server && existing.token && !renewalDue(existing.token, Date.now(), opts.tokenTtlSeconds)
    && (await accessOf(existing.kubeconfig).then((a) => a.operatorAccess, () => (dp.client.signal?.throwIfAborted(), false)))) {
    const t = describeToken(existing.token);
    return { kubeconfig: existing.kubeconfig, kind: t.kind, expiresAt: t.expiresAt, grantedSeconds: t.lifetimeSeconds, reused: true,
      tokenSecret: t.kind === 'secret' ? existing.tokenSecret : undefined };
  }
  const caData = await caDataFor(dp, opts.namespace);
  const insecure = (dp.ctx.kubeconfig.clusters as any[])[0].cluster['insecure-skip-tls-verify'] === true;
  const kubeconfigWith = (token: string) => renderKubeconfig({ context, server, caData, insecure, token, namespace: opts.namespace });
  if (opts.dryRun) return { kubeconfig: kubeconfigWith('<minted at install>'), kind: 'token', reused: false };
  const tr = await dp.client.request<{ status: { token: string; expirationTimestamp: string } }>({
    // Sending it twice is harmless (idempotent for retries): it persists nothing, and a token that is
    // never stored simply expires.
    method: 'POST', path: `/api/v1/namespaces/${opts.namespace}/serviceaccounts/${CONTROL_PLANE_SA}/token`, idempotent: true,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: opts.tokenTtlSeconds } },
  });
  const expiresAt = new Date(tr.status.expirationTimestamp);
  const granted = describeToken(tr.status.token).lifetimeSeconds ?? Math.round((expiresAt.getTime() - Date.now()) / 1000);
  const asked = opts.tokenTtlSeconds;
  const bounded: Credentials = { kubeconfig: kubeconfigWith(tr.status.token), kind: 'token', expiresAt, reused: false, askedSeconds: asked, grantedSeconds: granted };
  if (!lifetimeCapped(asked, granted)) {
    checks.push(check('TOKEN-LIFETIME', 'pass', `${context}: token granted for ${humanDuration(granted)}, as asked`, { context }));
    return bounded;
  }
  const capped = `${context}: the API server caps token lifetimes: ${humanDuration(granted)} granted for the ${humanDuration(asked)} asked`;
  if (opts.boundedTokens) {
    const renew = humanDuration(Math.floor(granted * (1 - RENEW_WHEN_LEFT)));
    checks.push(check('TOKEN-LIFETIME', 'warn', `${capped}; the control plane loses ${context} unless the token is renewed at least every ${renew}`, { context,
      hint: `renew it every ${renew} (k8ssandra register --contexts CONTROL-PLANE,${context}: keeps tokens with more than a third of their lifetime left), or leave out --bounded-tokens to get a token Secret that lasts` }));
    return bounded;
  }
  // The token minted above is never stored; it simply expires.
  const name = tokenSecretName();
  await applyAll(dp.client, [tokenSecretObject(opts.namespace, name)], opts);
  const token = await waitUntil(`the token of Secret ${name} in ${context}`, async () => {
    const sec = await getObject(dp.client, { apiVersion: 'v1', kind: 'Secret', namespace: opts.namespace, name });
    return sec?.data?.token ? Buffer.from(sec.data.token, 'base64').toString('utf8') : undefined;
  }, { deadline, signal: dp.client.signal });
  checks.push(check('TOKEN-LIFETIME', 'warn', `${capped}; the control plane gets the service-account token Secret ${name} instead, which does not expire`, { context,
    hint: 'nothing to do; to use bounded tokens anyway (renewed by you), pass --bounded-tokens' }));
  return { kubeconfig: kubeconfigWith(token), kind: 'secret', reused: false, askedSeconds: asked, grantedSeconds: granted, tokenSecret: name, createdTokenSecret: true };
}

/** Deletes the token Secrets of ours in the data plane except `keep`; answers their names. */
async function removeStaleTokenSecrets(dp: Cluster, namespace: string, keep: string | undefined): Promise<string[]> {
  const ours = await listObjects(dp.client, { apiVersion: 'v1', kind: 'Secret', namespace }, { labelSelector: `${TOKEN_SECRET_LABEL}=${CONTROL_PLANE_SA}` });
  const stale = ours.map((o) => o.metadata.name).filter((n) => n !== keep);
  for (const name of stale) await deleteObject(dp.client, { apiVersion: 'v1', kind: 'Secret', namespace, name });
  return stale;
}

async function existingKubeconfig(cp: KubeClient, context: string, namespace: string) {
  const { secret } = registrationObjects(context, namespace, '');
  const s = await getObject(cp, { apiVersion: 'v1', kind: 'Secret', namespace, name: secret.metadata.name });
  const b64 = s?.data?.kubeconfig;
  if (!b64) return undefined;
  const kubeconfig = Buffer.from(b64, 'base64').toString('utf8');
  try {
    const k = parse(kubeconfig) as any;
    const token = k.users?.[0]?.user?.token as string | undefined;
    return { kubeconfig, server: k.clusters?.[0]?.cluster?.server as string | undefined, token, tokenSecret: token ? tokenClaims(token).secretName : undefined };
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

/** What stored credentials may do in a data plane (see intendedAccess), asked once per kubeconfig. */
type StoredAccess = (kubeconfig: string) => Promise<AccessVerdict>;

/**
 * The questions of the reuse decision (may they manage CassandraDatacenters?) and of the verification
 * (exactly the intended access?) go together, over one connection: kept credentials cost one round trip.
 */
function storedAccess(dp: Cluster, opts: RegisterOptions): StoredAccess {
  const asked = new Map<string, Promise<AccessVerdict>>();
  return (kubeconfig) => {
    if (!asked.has(kubeconfig)) {
      asked.set(kubeconfig, storedClient(kubeconfig, dp.ctx.name, { timeoutMs: 10_000, signal: dp.client.signal, env: opts.env }, dp.ctx)
        .then((client) => checkAccess(client, opts.namespace, opts.clusterScoped)));
    }
    return asked.get(kubeconfig)!;
  };
}

/**
 * Proves the stored kubeconfig works as intended: it authenticates to the data plane and grants what
 * the mode intends, no less and no more (see intendedAccess: cluster scope grants Secrets everywhere on
 * purpose; neither mode grants RBAC writes or wildcards).
 */
async function verifyCredentials(dp: Cluster, kubeconfig: string, opts: RegisterOptions, checks: Check[], accessOf: StoredAccess): Promise<boolean> {
  const context = dp.ctx.name;
  const mode = opts.clusterScoped ? 'cluster-scoped' : 'namespace-scoped';
  try {
    const { missing, excess } = await accessOf(kubeconfig);
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
