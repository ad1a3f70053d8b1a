import { Command, Option } from 'commander';
import { usageError } from '../errors.js';
import { execute, type GlobalOptions, type Io } from '../main.js';
import { DEFAULT_NAMESPACE } from '../manifests/operator-release.js';
import { parseDuration } from '../plan/registration.js';
import { parseContextList } from '../steps/connect.js';
import { version } from '../version.js';
import { confirmer } from '../ui/prompt.js';

const EXAMPLES_INSTALL = `
Examples:
  # control plane in cp, data planes in dp1 and dp2
  k8ssandra install --contexts cp,dp1,dp2

  # CI: no prompts, JSON report, fail after 10 minutes
  k8ssandra install --contexts cp,dp1,dp2 --yes -o json --timeout 10m

  # air-gapped: rendered release and cert-manager from local files
  k8ssandra install --contexts cp,dp1 --manifests ./k8ssandra-operator-v1.32.5/ --cert-manager-manifests ./cert-manager.yaml

  # see what would change, change nothing
  k8ssandra install --contexts cp,dp1,dp2 --dry-run`;

/** commander wiring only: flags become typed options, each command calls one flow. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('k8ssandra')
    .description('Install and operate the K8ssandra operator across several Kubernetes clusters at once')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)'))
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json', 'yaml']).default('text'))
    .option('-q, --quiet', 'no progress on stderr')
    .option('-v, --verbose', 'print every API request (method, path, status; never credentials)')
    .option('-y, --yes', 'answer yes to confirmations')
    .option('--no-input', 'never prompt, even on a terminal');

  const globals = (): GlobalOptions & { kubeconfig?: string } => {
    const g = program.opts();
    return { output: g.output, quiet: g.quiet, verbose: g.verbose, input: g.input, yes: g.yes, kubeconfig: g.kubeconfig };
  };

  program.command('install')
    .summary('install the operator: control plane in one context, data planes in the others')
    .description('Preflight every cluster, install cert-manager where missing and the operator (control-plane mode in one context,\n'
      + 'data-plane mode in the others), register each data plane with the control plane, wait, and report.')
    .requiredOption('-c, --contexts <list>', 'kubeconfig contexts, comma-separated; the first is the control plane')
    .option('--control-plane <context>', 'the context that runs the control plane (default: the first of --contexts)')
    .option('-n, --namespace <ns>', 'namespace of the operator', DEFAULT_NAMESPACE)
    .option('--operator-version <version>', 'k8ssandra-operator release (default: the pinned one)')
    .option('--manifests <path>', 'rendered release: a file, or a folder with control-plane.yaml and data-plane.yaml')
    .option('--cluster-scoped', 'install the variant that watches all namespaces', false)
    .option('--cert-manager-manifests <file>', 'cert-manager release file to install where it is missing (air-gapped)')
    .option('--skip-cert-manager', 'never install cert-manager (fail where it is missing)', false)
    .option('--skip-routability', 'do not probe pod-IP routability between clusters', false)
    .option('--api-server <context=url...>', 'API server address the control plane uses for a data plane (repeatable)')
    .option('--token-ttl <duration>', 'lifetime of the control plane\'s tokens (e.g. 720h, 365d)', '365d')
    .option('--force', 'take over fields another field manager owns', false)
    .option('--dry-run', 'show what would change; change nothing (server-side dry run)', false)
    .option('--no-wait', 'do not wait for the operators to be available')
    .option('--timeout <duration>', 'give up waiting after this long', '10m')
    .addHelpText('after', EXAMPLES_INSTALL)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('install', g, io, async (ui, out) => {
        const { runInstall } = await import('../flows/install.js');
        await runInstall({
          kubeconfig: g.kubeconfig, contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: opts.namespace,
          operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
          skipCertManager: opts.skipCertManager, clusterScoped: opts.clusterScoped, skipRoutability: opts.skipRoutability,
          apiServers: parseApiServers(opts.apiServer), tokenTtlSeconds: durationFlag('--token-ttl', opts.tokenTtl),
          dryRun: opts.dryRun, wait: opts.wait, force: opts.force, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
          confirm: confirmer(g, io),
        }, ui, out);
      }));
    });

  program.command('status')
    .summary('the whole multi-cluster installation at a glance: healthy, and if not, where')
    .description('Ask every cluster in parallel: reachability, operator mode, versions and readiness, cert-manager; the control plane\'s\n'
      + 'ClientConfigs (do their credentials still work, when do their tokens expire); every K8ssandraCluster with the progress of each\n'
      + 'datacenter, read from the cluster that runs it. Exit 0 only when everything found is healthy, 5 when degraded, 6 when a\n'
      + 'cluster cannot be reached.')
    .option('-c, --contexts <list>', 'contexts to check, comma-separated (default: every context of the kubeconfig; those without the operator are left out)')
    .option('--request-timeout <duration>', 'give up on an API request after this long (a dead cluster costs no more)', '5s')
    .option('-w, --watch', 'ask again until everything is healthy (Ctrl-C stops)', false)
    .option('--interval <duration>', 'time between rounds of --watch', '5s')
    .addHelpText('after', EXAMPLES_STATUS)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('status', g, io, async (ui, out) => {
        const { runStatus } = await import('../flows/status.js');
        await runStatus({
          kubeconfig: g.kubeconfig, contexts: opts.contexts ? parseContextList(opts.contexts) : [],
          requestTimeoutMs: durationFlag('--request-timeout', opts.requestTimeout) * 1000,
          watch: opts.watch, intervalMs: durationFlag('--interval', opts.interval) * 1000,
        }, ui, out);
      }));
    });

  return program;
}

const EXAMPLES_STATUS = `
Examples:
  # every context of the kubeconfig that runs the operator, and the data planes its ClientConfigs name
  k8ssandra status

  # CI: these clusters only, a JSON report, exit code 0 only when healthy
  k8ssandra status --contexts cp,dp1,dp2 -o json

  # wait until a new datacenter is ready
  k8ssandra status --watch --interval 10s`;

function durationFlag(flag: string, value: string): number {
  const s = parseDuration(value);
  if (!s) throw usageError(`${flag} ${value} is not a duration`, 'write it as 90s, 10m, 2h or 30d');
  return s;
}

function parseApiServers(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    const ctx = v.slice(0, i), url = v.slice(i + 1);
    if (i < 1 || !/^https?:\/\/[^/]+/.test(url)) throw usageError(`--api-server ${v} is not CONTEXT=URL`, 'e.g. --api-server dp1=https://10.0.0.5:6443');
    out[ctx] = url.replace(/\/$/, '');
  }
  return out;
}
