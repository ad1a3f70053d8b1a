// The bed's stand-in for the k8ssandra-operator control plane, as far as registrations go: it consumes
// ClientConfigs the way upstream does (see registrations.ts, data-plane.ts) and ends the way upstream
// ends: exit 0 when a ClientConfig or its Secret is added, changed or deleted (the pod restarts and
// reloads them), exit 1 when a registration is broken. Everything it sees goes to an events file
// (events.ts). It runs under the supervisor (run.ts), which restarts it as a kubelet would.
//
//   node --import tsx testbed/consumer/consumer.ts --kubeconfig K --context cp --events FILE
//        [--namespace k8ssandra-operator] [--cluster-scoped] [--cache-sync-timeout 120s]
//
// `--context follow`: the consumer follows the control plane, as the operator's pod does when
// move-control-plane switches modes: each run starts in the context whose k8ssandra-operator Deployment
// runs with K8SSANDRA_CONTROL_PLANE=true (waiting while none does), and ends (exit 0, `replaced`) once
// that Deployment no longer does, as the rollout that switches it to data-plane mode ends the old pod.
import { parseArgs } from 'node:util';
import { KubeConfig, KubernetesObjectApi, ListWatch, Watch, type KubernetesObject } from '@kubernetes/client-node';
import { startDataPlane, type DataPlane } from './data-plane.js';
import { DEFAULT_NAMESPACE, parseSeconds } from './control.js';
import { EventLog, type ExitReason } from './events.js';
import { Broken, CLIENT_CONFIG, classify, hashOf, loadRegistrations, readSecret, RESOURCE_HASH, SECRET_HASH, secretOf, type ClientConfig, type Registration } from './registrations.js';

interface Options { kubeconfig: string; context: string; namespace: string; clusterScoped: boolean; cacheSyncTimeoutMs: number; log: EventLog }
interface Ending { code: number; reason: ExitReason; message: string; breakage?: Broken['breakage']; context?: string }

/**
 * The ClientConfig controller (clientconfig_controller.go Reconcile): a ClientConfig that is gone,
 * lacks the hash annotations (new), or whose spec or Secret no longer matches them, ends the run.
 * Answers the reason to restart, or undefined when everything still matches.
 */
async function reconcile(api: KubernetesObjectApi, namespace: string, name: string): Promise<string | undefined> {
  let cc: ClientConfig;
  try {
    cc = await api.read<ClientConfig>({ ...CLIENT_CONFIG, metadata: { name, namespace } });
  } catch (e) {
    if (classify(e).breakage === 'not-served') return `ClientConfig ${namespace}/${name} was deleted`;
    throw e;
  }
  const a = cc.metadata.annotations ?? {};
  if (!a[RESOURCE_HASH] || !a[SECRET_HASH]) return `ClientConfig ${namespace}/${name} is missing hash annotations (new)`;
  let data: unknown;
  try {
    data = (await readSecret(api, cc)).data;
  } catch (e) {
    if (e instanceof Broken && e.breakage === 'missing-secret') return `Secret ${namespace}/${secretOf(cc)} was deleted`;
    throw e;
  }
  if (a[RESOURCE_HASH] !== hashOf(cc.spec) || a[SECRET_HASH] !== hashOf(data)) return `ClientConfig ${namespace}/${name} or its Secret ${secretOf(cc)} has been modified`;
  return undefined;
}

/** Watches ClientConfigs and their Secrets in the control plane; `end` is called once one of them changed. */
function watchRegistrations(local: KubeConfig, o: Options, regs: Registration[], end: (e: Ending) => void): () => void {
  const api = KubernetesObjectApi.makeApiClient(local);
  const ns = o.clusterScoped ? '' : `/namespaces/${o.namespace}`;
  // secretFilter: which ClientConfig each Secret belongs to (only Secrets of loaded ClientConfigs count).
  const owners = new Map(regs.map((r) => [`${r.clientConfig.metadata.namespace}/${r.secret}`, r.clientConfig.metadata.name]));
  const generations = new Map<string, number | undefined>();
  const check = (namespace: string, name: string) => {
    reconcile(api, namespace, name).then((why) => { if (why) end({ code: 0, reason: 'changed', message: `${why}, shutting down the operator` }); },
      // Upstream requeues a failed reconcile; one more look after a second does the same here.
      () => setTimeout(() => check(namespace, name), 1000).unref());
  };
  const key = (obj: KubernetesObject) => `${obj.metadata?.namespace}/${obj.metadata?.name}`;
  const ccs = new ListWatch<ClientConfig>(`/apis/${CLIENT_CONFIG.apiVersion}${ns}/clientconfigs`, new Watch(local),
    () => api.list<ClientConfig>(CLIENT_CONFIG.apiVersion, CLIENT_CONFIG.kind, o.clusterScoped ? undefined : o.namespace), false);
  // predicate.GenerationChangedPredicate: creates and deletes pass, updates only when the spec changed.
  ccs.on('add', (cc) => { generations.set(key(cc), cc.metadata.generation); check(cc.metadata.namespace, cc.metadata.name); });
  ccs.on('update', (cc) => {
    if (generations.get(key(cc)) === cc.metadata.generation) return;
    generations.set(key(cc), cc.metadata.generation);
    check(cc.metadata.namespace, cc.metadata.name);
  });
  ccs.on('delete', (cc) => check(cc.metadata.namespace, cc.metadata.name));
  const secrets = new ListWatch<KubernetesObject>(`/api/v1${ns}/secrets`, new Watch(local),
    () => api.list('v1', 'Secret', o.clusterScoped ? undefined : o.namespace), false);
  for (const verb of ['add', 'update', 'delete'] as const) {
    secrets.on(verb, (s) => {
      const owner = owners.get(key(s));
      if (owner) check(s.metadata!.namespace!, owner);
    });
  }
  for (const w of [ccs, secrets] as ListWatch<KubernetesObject>[]) {
    w.on('error', () => setTimeout(() => void w.start(), 1000).unref());
    void w.start();
  }
  return () => { void ccs.stop(); void secrets.stop(); };
}

const FOLLOW = 'follow';
const OPERATOR = 'k8ssandra-operator';

/** Whether the operator Deployment in the namespace of the kubeconfig's current context runs as control plane (undefined: none there, or no answer). */
async function runsControlPlane(kc: KubeConfig, namespace: string): Promise<boolean | undefined> {
  try {
    const d = await KubernetesObjectApi.makeApiClient(kc).read<any>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: OPERATOR, namespace } });
    const env = (d.spec?.template?.spec?.containers ?? []).flatMap((c: any) => c.env ?? []);
    return env.find((e: any) => e.name === 'K8SSANDRA_CONTROL_PLANE')?.value === 'true';
  } catch {
    return undefined;
  }
}

/** The context that runs the control plane now (`follow`), polled until one does; a named context as it is. */
async function controlPlaneContext(o: Options): Promise<string> {
  if (o.context !== FOLLOW) return o.context;
  for (let said = false; ; said = true) {
    const kc = new KubeConfig();
    kc.loadFromFile(o.kubeconfig);
    for (const c of kc.getContexts()) {
      kc.setCurrentContext(c.name);
      if (await runsControlPlane(kc, o.namespace)) return c.name;
    }
    if (!said) o.log.write({ event: 'waiting', message: 'no context runs the operator as control plane yet' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Following: ends the run once the operator in `local`'s context no longer runs as control plane. */
function watchMode(local: KubeConfig, o: Options, end: (e: Ending) => void): () => void {
  if (o.context !== FOLLOW) return () => {};
  const timer = setInterval(() => {
    void runsControlPlane(local, o.namespace).then((cp) => {
      if (cp === false) end({ code: 0, reason: 'replaced', message: `the operator in ${local.getCurrentContext()} no longer runs as control plane` });
    });
  }, 2000);
  return () => clearInterval(timer);
}

/** One run of the control plane: answers how it ended. */
async function runConsumer(o: Options): Promise<Ending> {
  const context = await controlPlaneContext(o);
  o.log.write({ event: 'start', namespace: o.clusterScoped ? '' : o.namespace, clusterScoped: o.clusterScoped, cacheSyncTimeoutMs: o.cacheSyncTimeoutMs,
    ...(o.context === FOLLOW ? { context } : {}) });
  const local = new KubeConfig();
  local.loadFromFile(o.kubeconfig);
  local.setCurrentContext(context);
  let regs: Registration[];
  try {
    regs = await loadRegistrations(local, o.clusterScoped ? undefined : o.namespace);
  } catch (e) {
    if (!(e instanceof Broken)) throw e;
    return { code: 1, reason: 'broken', breakage: e.breakage, context: e.context, message: `unable to create manager cluster connections: ${e.message}` };
  }
  o.log.write({ event: 'clientconfigs', items: regs.map((r) => ({ name: r.clientConfig.metadata.name, namespace: r.clientConfig.metadata.namespace,
    context: r.context, secret: r.secret, server: r.server })) });
  let planes: DataPlane[] = [];
  let stopWatch = () => {};
  let stopMode = () => {};
  const ending = await new Promise<Ending>((resolve) => {
    stopWatch = watchRegistrations(local, o, regs, resolve);
    stopMode = watchMode(local, o, resolve);
    planes = regs.map((r) => startDataPlane(r, { namespace: o.clusterScoped ? undefined : o.namespace, cacheSyncTimeoutMs: o.cacheSyncTimeoutMs, log: o.log }));
    planes.forEach((p, i) => p.synced.catch((e: unknown) => {
      const b = e instanceof Broken ? e : new Broken('error', String(e), regs[i]!.context);
      resolve({ code: 1, reason: 'broken', breakage: b.breakage, context: b.context ?? regs[i]!.context, message: `problem running manager: ${b.message}` });
    }));
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve({ code: 0, reason: 'signal', message: `stopped by ${sig}` }));
  });
  stopWatch();
  stopMode();
  for (const p of planes) p.stop();
  return ending;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: {
    kubeconfig: { type: 'string' }, context: { type: 'string', default: 'cp' }, namespace: { type: 'string', default: DEFAULT_NAMESPACE },
    'cluster-scoped': { type: 'boolean', default: false }, events: { type: 'string' }, 'cache-sync-timeout': { type: 'string', default: '120s' }, // controller-runtime's CacheSyncTimeout,
  } });
  if (!values.kubeconfig || !values.events) throw new Error('--kubeconfig and --events are required');
  const run = process.env.CONSUMER_RUN === undefined ? undefined : Number(process.env.CONSUMER_RUN);
  const log = new EventLog(values.events, 'consumer', run);
  const ending = await runConsumer({ kubeconfig: values.kubeconfig, context: values.context!, namespace: values.namespace!,
    clusterScoped: values['cluster-scoped']!, cacheSyncTimeoutMs: parseSeconds(values['cache-sync-timeout']!), log });
  log.write({ event: 'exit', ...ending });
  return ending.code;
}

main(process.argv.slice(2)).then(
  // process.exit, not exitCode: open watch connections would keep a finished run alive, and the
  // supervisor must see the exit at once, as a kubelet sees a container end.
  (code) => process.exit(code),
  (e: unknown) => { console.error(`consumer: ${(e as Error).message}`); process.exit(1); },
);
