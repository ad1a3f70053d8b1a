// npm run testbed -- up [--clusters N] [--k8s-version V] [--max-token-ttl D] | down | status [--json] | cut A B | heal [A B] | safety | consumer ...
import { parseArgs } from 'node:util';
import { cut, DEFAULT_K8S_VERSION, describeSettings, down, heal, safetyCheck, status, up, type BedStatus } from './bed.js';
import { eventsPath, parseSeconds, startConsumer, stopConsumer } from './consumer/control.js';
import { readEvents } from './consumer/events.js';

const USAGE = `usage: npm run testbed -- <command>
  up [--clusters N]   start N clusters (default 3, at most 20) and the pod network agent; idempotent
     [--k8s-version V]    Kubernetes version of a new bed (default ${DEFAULT_K8S_VERSION}; built on first use, ~5 min)
     [--max-token-ttl D]  a new bed's kube-apiserver caps service-account tokens at D (e.g. 24h, as EKS does)
                          (a running bed keeps what it was made with: \`down\` first to change either)
  down                stop everything the bed started and remove .testbed
  status [--json]     health of each cluster and of the agent; exit 1 when unhealthy
  cut A B             drop traffic between the pod networks of contexts A and B
  heal [A B]          heal one cut, or all of them
  safety              run the network safety check on the running bed
  consumer start [--context cp|follow] [--namespace NS] [--cluster-scoped] [--cache-sync-timeout 120s] [--backoff 10s]
                      run a control plane that consumes the ClientConfigs of cp like k8ssandra-operator
                      (restarted like a kubelet would; with --context follow, in whichever context runs the
                      operator as control plane, moving with it); see testbed/README.md
  consumer stop       stop it
  consumer events     what it saw, one JSON line per event`;

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

function printStatus(s: BedStatus): void {
  for (const c of s.clusters) {
    const node = c.node ? `${c.node.name} ${c.node.ready ? 'Ready' : 'NotReady'} podCIDR=${c.node.podCIDR} ip=${c.node.internalIP}` : 'no node';
    const rss = c.processes.reduce((sum, p) => sum + p.rssBytes, 0);
    console.log(`${c.healthy ? 'ok  ' : 'FAIL'} ${c.context.padEnd(4)} ${c.version ?? '-'} ${c.server ?? ''} ${node} services=${c.serviceCidr} rss=${mib(rss)}${c.error ? `  (${c.error})` : ''}`);
  }
  if (s.clusters.length === 0) console.log(`no clusters (no ${s.kubeconfig})`);
  console.log(`${s.agent.alive ? 'ok  ' : 'FAIL'} podnet agent ${s.agent.alive ? `pid ${s.agent.pid} rss=${mib(s.agent.rssBytes)}` : 'not running'}`);
  console.log(`cuts: ${s.cuts.length ? s.cuts.map(([a, b]) => `${a}<->${b}`).join(', ') : 'none'}`);
  console.log(`settings: ${describeSettings(s.settings)}`);
  console.log(`memory (RSS, all bed processes): ${mib(s.totalRssBytes)}`);
  console.log(`kubeconfig: ${s.kubeconfig} (address slot ${s.slot})`);
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      clusters: { type: 'string' },
      'k8s-version': { type: 'string' },
      'max-token-ttl': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      // consumer
      context: { type: 'string' }, namespace: { type: 'string' }, 'cluster-scoped': { type: 'boolean' }, 'cache-sync-timeout': { type: 'string' }, backoff: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  switch (values.help ? 'help' : command) {
    case 'up':
      await up({
        clusters: values.clusters === undefined ? undefined : Number(values.clusters),
        k8sVersion: values['k8s-version'],
        maxTokenTtl: values['max-token-ttl'],
      });
      return 0;
    case 'down':
      await down();
      return 0;
    case 'status': {
      const s = await status();
      if (values.json) console.log(JSON.stringify(s, null, 2));
      else printStatus(s);
      return s.healthy ? 0 : 1;
    }
    case 'cut':
      if (rest.length !== 2) break;
      console.log(`cuts: ${JSON.stringify(cut(rest[0]!, rest[1]!))}`);
      return 0;
    case 'heal':
      if (rest.length !== 0 && rest.length !== 2) break;
      console.log(`cuts: ${JSON.stringify(heal(rest[0], rest[1]))}`);
      return 0;
    case 'safety':
      return (await safetyCheck()).exitCode;
    case 'consumer':
      if (rest[0] === 'start') {
        const seconds = (v?: string) => (v === undefined ? undefined : parseSeconds(v));
        const { pid } = await startConsumer({ context: values.context, namespace: values.namespace, clusterScoped: values['cluster-scoped'],
          cacheSyncTimeoutMs: seconds(values['cache-sync-timeout']), backoffMs: seconds(values.backoff) });
        console.log(`consumer supervisor pid ${pid}; events: ${eventsPath}`);
        return 0;
      }
      if (rest[0] === 'stop') {
        console.log((await stopConsumer()) ? 'consumer stopped' : 'no consumer running');
        return 0;
      }
      if (rest[0] === 'events') {
        for (const e of readEvents(eventsPath)) console.log(JSON.stringify(e));
        return 0;
      }
      break;
    case 'help':
      console.log(USAGE);
      return 0;
  }
  console.error(USAGE);
  return 2;
}

// `status | head` closes stdout early: not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (e) {
  console.error(`testbed: ${(e as Error).message}`);
  process.exitCode = 1;
}
