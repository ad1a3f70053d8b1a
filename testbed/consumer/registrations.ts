// The control plane's start-up, as k8ssandra-operator does it (controllers/config/clientconfig_controller.go
// InitClientConfigs, pkg/clientcache GetRestConfig): list the ClientConfigs of the watched namespace,
// read each one's Secret (key `kubeconfig`), write the two hash annotations, and build a client from the
// kubeconfig's context named by spec.contextName (the ClientConfig's name when empty). Any failure
// here makes upstream exit 1 ("unable to create manager cluster connections").
import { createHash } from 'node:crypto';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { Breakage } from './events.js';

export const CLIENT_CONFIG = { apiVersion: 'config.k8ssandra.io/v1beta1', kind: 'ClientConfig' } as const;
/** Upstream's names (k8ssandraapi.ResourceHashAnnotation and KubeSecretHashAnnotation). */
export const RESOURCE_HASH = 'k8ssandra.io/resource-hash';
export const SECRET_HASH = 'k8ssandra.io/secret-hash';

export interface ClientConfig extends KubernetesObject {
  metadata: { name: string; namespace: string; generation?: number; annotations?: Record<string, string>; resourceVersion?: string };
  spec?: { contextName?: string; kubeConfigSecret?: { name?: string } };
}
export interface Secret extends KubernetesObject { data?: Record<string, string> }

/** A registration the operator cannot use: it exits 1 (and crash-loops while it stays so). */
export class Broken extends Error {
  constructor(readonly breakage: Breakage, message: string, readonly context?: string) {
    super(message);
  }
}

/** ClientConfig.GetContextName(). */
export const contextOf = (cc: ClientConfig) => cc.spec?.contextName || cc.metadata.name;
export const secretOf = (cc: ClientConfig) => cc.spec?.kubeConfigSecret?.name ?? '';

/** Upstream hashes the spec and the Secret's data (sha256, base64); ours hash the same content as JSON with sorted keys. */
export function hashOf(value: unknown): string {
  const canonical = (v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v);
  return createHash('sha256').update(JSON.stringify(canonical(value ?? {}))).digest('base64');
}

const isLoopback = (host: string) => host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';

/**
 * A client configuration for the context `contextName` of a stored kubeconfig, checked as clientcmd
 * would (the context, its cluster with a server, its user). Two refusals of ours: a credential plugin
 * (a Secret must not run programs here) and a server off loopback (the bed's consumer dials nothing else).
 */
export function remoteConfig(kubeconfig: string, contextName: string, where: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(kubeconfig);
  } catch (e) {
    throw new Broken('bad-kubeconfig', `${where}: not a kubeconfig: ${(e as Error).message.split('\n')[0]}`, contextName);
  }
  const ctx = kc.getContextObject(contextName);
  if (!ctx) throw new Broken('bad-kubeconfig', `${where}: context was not found for specified context: ${contextName}`, contextName);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster?.server) throw new Broken('bad-kubeconfig', `${where}: cluster "${ctx.cluster}" has no server defined`, contextName);
  const user = ctx.user ? kc.getUser(ctx.user) : null;
  if (ctx.user && !user) throw new Broken('bad-kubeconfig', `${where}: user "${ctx.user}" was not found`, contextName);
  if (user?.exec || user?.authProvider) throw new Broken('bad-kubeconfig', `${where}: context ${contextName} uses a credential plugin, which the bed never runs from a Secret`, contextName);
  const host = new URL(cluster.server).hostname;
  if (!isLoopback(host)) throw new Broken('not-loopback', `${where}: server ${cluster.server} is not on loopback; the bed's consumer only dials the bed`, contextName);
  kc.setCurrentContext(contextName);
  return kc;
}

/** What an API error means for a registration (client-node raises ApiException with `code`, node-fetch FetchError with an errno `code`). */
export function classify(e: unknown): { breakage: Breakage; message: string } {
  const err = e as { code?: number | string; statusCode?: number; body?: unknown; message?: string };
  const firstLine = String(err?.message ?? e).split('\n')[0]!;
  // A watch that the server answers with an error status carries it as statusCode.
  if (typeof err?.code !== 'number' && typeof err?.statusCode === 'number') return classify({ code: err.statusCode, body: { message: firstLine } });
  if (typeof err?.code === 'number') {
    let status = '';
    try {
      status = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body)?.message ?? '';
    } catch { /* a body that is not a Status */ }
    const text = `${err.code} ${status || firstLine}`.trim();
    if (err.code === 401) return { breakage: 'rejected', message: `the credentials were rejected (${text})` };
    if (err.code === 403) return { breakage: 'forbidden', message: text };
    if (err.code === 404) return { breakage: 'not-served', message: text };
    return { breakage: 'error', message: text };
  }
  if (typeof err?.code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(err.code)) {
    return { breakage: 'unreachable', message: firstLine };
  }
  if (/certificate|self.signed|ECONNREFUSED|socket hang up|timeout/i.test(firstLine)) return { breakage: 'unreachable', message: firstLine };
  return { breakage: 'error', message: firstLine };
}

export interface Registration { clientConfig: ClientConfig; context: string; secret: string; secretHash: string; config: KubeConfig; server: string }

/** Reads a ClientConfig's Secret; a missing Secret or key is upstream's start-up failure. */
export async function readSecret(api: KubernetesObjectApi, cc: ClientConfig): Promise<Secret> {
  try {
    return await api.read<Secret>({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretOf(cc), namespace: cc.metadata.namespace } });
  } catch (e) {
    const c = classify(e);
    if (c.breakage === 'not-served') throw new Broken('missing-secret', `secrets "${secretOf(cc)}" not found`, contextOf(cc));
    throw new Broken(c.breakage, `reading Secret ${secretOf(cc)}: ${c.message}`, contextOf(cc));
  }
}

/** Every ClientConfig of the namespace (all namespaces when undefined), each annotated and turned into a client. */
export async function loadRegistrations(local: KubeConfig, namespace: string | undefined): Promise<Registration[]> {
  const api = KubernetesObjectApi.makeApiClient(local);
  let list: ClientConfig[];
  try {
    list = (await api.list<ClientConfig>(CLIENT_CONFIG.apiVersion, CLIENT_CONFIG.kind, namespace)).items;
  } catch (e) {
    const c = classify(e);
    throw new Broken(c.breakage, `listing ClientConfigs: ${c.message}`);
  }
  const out: Registration[] = [];
  for (const cc of list) {
    const secret = await readSecret(api, cc);
    const where = `Secret ${cc.metadata.namespace}/${secretOf(cc)}`;
    const secretHash = hashOf(secret.data);
    const annotated: ClientConfig = { ...cc, apiVersion: CLIENT_CONFIG.apiVersion, kind: CLIENT_CONFIG.kind,
      metadata: { ...cc.metadata, annotations: { ...cc.metadata.annotations, [RESOURCE_HASH]: hashOf(cc.spec), [SECRET_HASH]: secretHash } } };
    try {
      // An update (not an apply), as upstream does: the CLI's server-side apply must leave these alone.
      await api.replace(annotated);
    } catch (e) {
      const c = classify(e);
      throw new Broken(c.breakage, `annotating ClientConfig ${cc.metadata.name}: ${c.message}`, contextOf(cc));
    }
    const b64 = secret.data?.kubeconfig;
    if (b64 === undefined) throw new Broken('missing-secret', `${where}: secret is missing required kubeconfig property`, contextOf(cc));
    const config = remoteConfig(Buffer.from(b64, 'base64').toString('utf8'), contextOf(cc), where);
    out.push({ clientConfig: annotated, context: contextOf(cc), secret: secretOf(cc), secretHash, config, server: config.getCurrentCluster()!.server });
  }
  return out;
}
