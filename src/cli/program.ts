import { Command, Option } from 'commander';
import { execute, type GlobalOptions, type Io } from '../main.js';
import { DEFAULT_NAMESPACE, DEFAULT_OPERATOR_VERSION, DEFAULT_PROBE } from '../defaults.js';
import { usageError } from '../errors.js';
import { durationFlag, namespaceFlag, parseApiServers, parseContextList, probeSettings, tokenTtlFlag } from './parse.js';
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
    .option('--no-input', 'never prompt, even on a terminal')
    .option('--request-timeout <duration>', 'give up on one API request after this long; install, add-dc and the others retry it while --timeout allows (default: 30s; status: 5s, no retry)');

  const globals = (): GlobalOptions & { kubeconfig?: string } => {
    const g = program.opts();
    return { output: g.output, quiet: g.quiet, verbose: g.verbose, input: g.input, yes: g.yes, kubeconfig: g.kubeconfig,
      requestTimeoutMs: g.requestTimeout === undefined ? undefined : durationFlag('--request-timeout', g.requestTimeout) * 1000 };
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
    .addOption(probeOptions.ports()).addOption(probeOptions.image()).addOption(probeOptions.timeout())
    .option('--api-server <context=url...>', 'API server address the control plane uses for a data plane (repeatable)')
    .option('--token-ttl <duration>', 'lifetime of the control plane\'s tokens (e.g. 720h, 365d)', '365d')
    .option('--rotate-tokens', 'mint fresh tokens for every registration (see also: k8ssandra register --rotate)', false)
    .option('--force', 'take over fields another field manager owns, and replace an operator of another version', false)
    .option('--dry-run', 'show what would change; change nothing (server-side dry run)', false)
    .option('--no-wait', 'do not wait for the operators to be available')
    .option('--timeout <duration>', 'give up waiting after this long', '10m')
    .addHelpText('after', EXAMPLES_INSTALL)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('install', g, io, async (ui, out, interrupt) => {
        const { runInstall } = await import('../flows/install.js');
        await runInstall({
          kubeconfig: g.kubeconfig, contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
          operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
          skipCertManager: opts.skipCertManager, clusterScoped: opts.clusterScoped, skipRoutability: opts.skipRoutability, probe: probeSettings(opts),
          apiServers: parseApiServers(opts.apiServer), tokenTtlSeconds: tokenTtlFlag(opts.tokenTtl), rotateTokens: opts.rotateTokens,
          dryRun: opts.dryRun, wait: opts.wait, force: opts.force, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
          confirm: confirmer(g, io, { signal: interrupt.signal }), interrupt, requestTimeoutMs: g.requestTimeoutMs,
        }, ui, out);
      }));
    });

  program.command('register')
    .summary('register data planes with the control plane, or rotate their tokens')
    .description('Write (or repair) the ClientConfig and kubeconfig Secret of each data plane in the control plane, with a bounded '
      + 'token of a least-privilege service account. --rotate mints fresh tokens for all of them in one batch; the old tokens '
      + 'stay valid until they expire, so the operator is never cut off. The operator must be installed in every context.')
    .requiredOption('-c, --contexts <list>', 'kubeconfig contexts, comma-separated: the control plane first, then data planes')
    .option('--control-plane <context>', 'the control plane (default: the first of --contexts)')
    .option('-n, --namespace <ns>', 'namespace of the operator', DEFAULT_NAMESPACE)
    .option('--cluster-scoped', 'the operator watches all namespaces (bind the control plane\'s account cluster-wide)', false)
    .option('--api-server <context=url...>', 'API server address the control plane uses for a data plane (repeatable)')
    .option('--token-ttl <duration>', 'lifetime of new tokens (e.g. 720h, 365d)', '365d')
    .option('--rotate', 'mint fresh tokens for every data plane, even where the stored ones still work', false)
    .option('--force', 'take over fields another field manager owns', false)
    .option('--dry-run', 'show what would change; change nothing (server-side dry run)', false)
    .option('--no-wait', 'do not wait for the control-plane operator to be available again')
    .option('--timeout <duration>', 'give up waiting after this long', '5m')
    .addHelpText('after', `
Examples:
  # register dp3 with the control plane in cp
  k8ssandra register --contexts cp,dp3

  # rotate every data plane's token (e.g. monthly from CI)
  k8ssandra register --contexts cp,dp1,dp2 --rotate --token-ttl 90d --yes -o json`)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('register', g, io, async (ui, out, interrupt) => {
        const { runRegister } = await import('../flows/register.js');
        await runRegister({
          kubeconfig: g.kubeconfig, contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
          clusterScoped: opts.clusterScoped, apiServers: parseApiServers(opts.apiServer), tokenTtlSeconds: tokenTtlFlag(opts.tokenTtl),
          rotate: opts.rotate, dryRun: opts.dryRun, force: opts.force, wait: opts.wait, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
          interrupt, requestTimeoutMs: g.requestTimeoutMs,
        }, ui, out);
      }));
    });

  program.command('uninstall')
    .summary('remove the operator and the registrations (CRDs and data are kept)')
    .description('Delete what k8ssandra installed in each context: the operator release (Deployments, RBAC, webhooks, Services, '
      + 'ConfigMaps, Issuers, Certificates) and the registrations (ClientConfigs and their Secrets in the control plane, the '
      + 'control plane\'s service account in data planes). Only objects written by k8ssandra are deleted. CRDs, custom '
      + 'resources and data are kept unless --delete-crds; namespaces and cert-manager are always kept. Asks first on a terminal.')
    .requiredOption('-c, --contexts <list>', 'kubeconfig contexts to uninstall from, comma-separated')
    .option('--control-plane <context>', 'a control plane that stays: remove only the registrations of these contexts from it')
    .option('-n, --namespace <ns>', 'namespace of the operator', DEFAULT_NAMESPACE)
    .option('--operator-version <version>', 'release whose objects to remove (default: the installed one)')
    .option('--manifests <path>', 'rendered release: a file, or a folder with control-plane.yaml and data-plane.yaml')
    .option('--cluster-scoped', 'remove the variant that watches all namespaces (detected from the operator when it runs)', false)
    .option('--delete-crds', 'also delete the CRDs, with every custom resource of them (refused while some exist, unless --force)', false)
    .option('--force', 'with --delete-crds: delete the CRDs even though custom resources exist', false)
    .option('--dry-run', 'show what would be deleted; delete nothing (server-side dry run)', false)
    .option('--no-wait', 'do not wait until the deleted objects are gone')
    .option('--timeout <duration>', 'give up waiting after this long', '5m')
    .addHelpText('after', `
Examples:
  # see what would be deleted
  k8ssandra uninstall --contexts cp,dp1,dp2 --dry-run

  # CI: remove the operator and registrations, keep CRDs and data
  k8ssandra uninstall --contexts cp,dp1,dp2 --yes -o json

  # remove one data plane, and its registration from the control plane in cp (which stays)
  k8ssandra uninstall --contexts dp2 --control-plane cp --yes`)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('uninstall', g, io, async (ui, out, interrupt) => {
        const { runUninstall } = await import('../flows/uninstall.js');
        await runUninstall({
          kubeconfig: g.kubeconfig, contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
          operatorVersion: opts.operatorVersion, manifests: opts.manifests, clusterScoped: opts.clusterScoped, deleteCrds: opts.deleteCrds,
          force: opts.force, dryRun: opts.dryRun, wait: opts.wait, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
          confirm: confirmer(g, io, { destructive: true, signal: interrupt.signal }), interrupt, requestTimeoutMs: g.requestTimeoutMs,
        }, ui, out);
      }));
    });

  program.command('check')
    .summary('preflight and pod-IP routability checks; changes nothing but temporary probe pods')
    .description('Everything install verifies before it changes anything: preflight checks of every cluster, then a probe of pod-IP\n'
      + 'routability between every pair of clusters on the Cassandra ports (temporary probe pods, deleted at the end).')
    .requiredOption('-c, --contexts <list>', 'kubeconfig contexts, comma-separated; the first is the control plane')
    .option('--control-plane <context>', 'the context that will run the control plane (default: the first of --contexts)')
    .option('-n, --namespace <ns>', 'namespace of the operator; the probe pods run there', DEFAULT_NAMESPACE)
    .option('--operator-version <version>', 'release an install would bring, to compare existing installs with', DEFAULT_OPERATOR_VERSION)
    .option('--skip-cert-manager', 'an install will not install cert-manager: fail where it is missing', false)
    .option('--skip-routability', 'preflight only: no probe pods', false)
    .addOption(probeOptions.ports()).addOption(probeOptions.image()).addOption(probeOptions.timeout())
    .option('--timeout <duration>', 'give up after this long', '5m')
    .addHelpText('after', EXAMPLES_CHECK)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('check', g, io, async (ui, out, interrupt) => {
        const { runCheck } = await import('../flows/check.js');
        await runCheck({
          kubeconfig: g.kubeconfig, contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: opts.namespace,
          operatorVersion: opts.operatorVersion, skipCertManager: opts.skipCertManager, skipRoutability: opts.skipRoutability,
          probe: probeSettings(opts), timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, signal: interrupt.signal, requestTimeoutMs: g.requestTimeoutMs,
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
    .option('-w, --watch', 'ask again until everything is healthy (Ctrl-C stops)', false)
    .option('--interval <duration>', 'time between rounds of --watch', '5s')
    .addHelpText('after', EXAMPLES_STATUS)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('status', g, io, async (ui, out, interrupt) => {
        const { runStatus } = await import('../flows/status.js');
        await runStatus({
          kubeconfig: g.kubeconfig, contexts: opts.contexts ? parseContextList(opts.contexts) : [],
          // Short and without retries: a dead cluster costs one request timeout.
          requestTimeoutMs: g.requestTimeoutMs ?? 5000, signal: interrupt.signal,
          watch: opts.watch, intervalMs: durationFlag('--interval', opts.interval) * 1000,
        }, ui, out);
      }));
    });

  program.command('add-dc')
    .summary('add a datacenter to a K8ssandraCluster, in a registered context or a new one')
    .description('Read the K8ssandraCluster from the control plane and refuse it unless every datacenter is Ready; make the context '
      + 'a registered data plane when it is not (preflight, routability, install, register); append the datacenter with a patch that '
      + 'never overwrites concurrent edits, validated by a server-side dry run first; wait for its CassandraDatacenter to be Ready; report.\n\n'
      + 'Exit codes: 0 done (or already done), 2 bad input, 3 checks failed, 4 timeout, 5 the cluster is not ready, 6 unreachable, 7 conflict.')
    .requiredOption('--cluster <name>', 'the K8ssandraCluster (metadata.name)')
    .requiredOption('--dc <name>', 'name of the new datacenter (a DNS label)')
    .requiredOption('--context <context>', 'kubeconfig context the datacenter goes to')
    .option('--control-plane <context>', 'the control plane\'s context (default: found among the kubeconfig\'s contexts)')
    .option('-n, --namespace <ns>', 'namespace of the K8ssandraCluster (default: the control-plane operator\'s)')
    .option('--size <n>', 'Cassandra nodes in the new datacenter (default: the size of the datacenter copied from)')
    .option('--replication <ks=n,...>', 'replication factor per user keyspace in the new datacenter (sets k8ssandra.io/dc-replication)')
    .option('--copy-from <dc>', 'datacenter whose settings fill what the flags do not set (default: the first)')
    .option('--operator-version <version>', 'release to install into a new data plane (default: the control plane\'s)')
    .option('--manifests <path>', 'rendered release for a new data plane: a file, or a folder with control-plane.yaml and data-plane.yaml')
    .option('--cert-manager-manifests <file>', 'cert-manager release file for a new data plane that lacks it (air-gapped)')
    .option('--skip-cert-manager', 'never install cert-manager (fail where it is missing)', false)
    .option('--skip-routability', 'do not probe pod-IP routability to the clusters of the existing datacenters', false)
    .option('--api-server <context=url...>', 'API server address the control plane uses for a new data plane')
    .option('--token-ttl <duration>', 'lifetime of the control plane\'s token for a new data plane', '365d')
    .option('--force', 'take over fields another field manager owns (new data plane objects)', false)
    .option('--dry-run', 'show what would change; change nothing (server-side dry run)', false)
    .option('--no-wait', 'do not wait for the CassandraDatacenter to be Ready')
    .option('--timeout <duration>', 'give up waiting after this long', '20m')
    .addHelpText('after', EXAMPLES_ADD_DC)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('add-dc', g, io, async (ui, out, interrupt) => {
        const { runAddDc } = await import('../flows/add-dc.js');
        await runAddDc({
          kubeconfig: g.kubeconfig, cluster: opts.cluster, dc: opts.dc, context: opts.context, controlPlane: opts.controlPlane,
          namespace: opts.namespace, size: opts.size, replication: opts.replication, copyFrom: opts.copyFrom,
          operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
          skipCertManager: opts.skipCertManager, skipRoutability: opts.skipRoutability, apiServers: parseApiServers(opts.apiServer),
          tokenTtlSeconds: durationFlag('--token-ttl', opts.tokenTtl), force: opts.force, dryRun: opts.dryRun, wait: opts.wait,
          timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, confirm: confirmer(g, io, { signal: interrupt.signal }),
          interrupt, requestTimeoutMs: g.requestTimeoutMs,
        }, ui, out);
      }));
    });


  program.command('render')
    .summary('write every object install would apply, one folder per context (GitOps); touches no cluster')
    .requiredOption('-c, --contexts <list>', 'context names, comma-separated; the first is the control plane')
    .requiredOption('--out <dir>', 'folder to write into (one sub-folder per context)')
    .option('--control-plane <context>', 'the context that runs the control plane (default: the first)')
    .option('-n, --namespace <ns>', 'namespace of the operator', DEFAULT_NAMESPACE)
    .option('--operator-version <version>', 'k8ssandra-operator release (default: the pinned one)')
    .option('--manifests <path>', 'rendered release: a file, or a folder with control-plane.yaml and data-plane.yaml')
    .option('--cert-manager-manifests <file>', 'also render this cert-manager release into every folder')
    .option('--cluster-scoped', 'the variant that watches all namespaces', false)
    .addHelpText('after', `
Examples:
  k8ssandra render --contexts cp,dp1,dp2 --out ./k8ssandra --manifests ./k8ssandra-operator-v1.32.5/
  kubectl --context dp1 apply --server-side -f ./k8ssandra/dp1/

Secrets with tokens are not rendered: create them with "k8ssandra install" or your secret manager.`)
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('render', g, io, async (ui, out) => {
        const { runRender } = await import('../flows/render.js');
        await runRender({ contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: opts.namespace,
          operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
          clusterScoped: opts.clusterScoped, out: opts.out }, ui, out);
      }));
    });

  program.command('completion')
    .summary('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', `
Examples:
  source <(k8ssandra completion bash)                 # add to ~/.bashrc
  source <(k8ssandra completion zsh)                  # add to ~/.zshrc
  k8ssandra completion fish > ~/.config/fish/completions/k8ssandra.fish`)
    .action(async (shell: string) => {
      if (!['bash', 'zsh', 'fish'].includes(shell)) throw usageError(`no completion for shell "${shell}"`, 'use bash, zsh or fish');
      const { completionScript } = await import('./completion.js');
      io.stdout.write(completionScript(program, shell as 'bash' | 'zsh' | 'fish'));
    });

  // For completion scripts: the contexts of the kubeconfig, one a line, quietly nothing on error.
  program.command('__contexts', { hidden: true }).action(async () => {
    const { kubeconfigFiles, loadKubeconfig } = await import('../kube/kubeconfig.js');
    try {
      io.stdout.write([...loadKubeconfig(kubeconfigFiles(globals().kubeconfig)).contexts.keys()].map((c) => c + '\n').join(''));
    } catch { /* nothing to complete */ }
  });

  return program;
}

const EXAMPLES_ADD_DC = `
Examples:
  # dc2 in dp2 (installed and registered first if needed), 3 nodes, ks1 and ks2 replicated 3 times there
  k8ssandra add-dc --cluster demo --dc dc2 --context dp2 --size 3 --replication ks1=3,ks2=3


  # see what would change, change nothing
  k8ssandra add-dc --cluster demo --dc dc2 --context dp2 --dry-run

  # CI: JSON report, do not wait for Cassandra
  k8ssandra add-dc --cluster demo --dc dc2 --context dp2 --yes -o json --no-wait`;

const EXAMPLES_CHECK = `
Examples:
  # is everything ready for an install into cp, dp1 and dp2?
  k8ssandra check --contexts cp,dp1,dp2

  # a private registry, internode and CQL only, JSON for CI
  k8ssandra check --contexts cp,dp1 --probe-image registry.example.com/mirror/busybox:1.37 --ports 7000,9042 -o json`;

/** The routability probe's flags, shared by install and check. */
const probeOptions = {
  ports: () => new Option('--ports <list>', 'TCP ports probed between pod IPs, comma-separated').default(DEFAULT_PROBE.ports.join(',')),
  image: () => new Option('--probe-image <image>', 'image of the probe pods: needs sh and a busybox nc (for private registries)').default(DEFAULT_PROBE.image),
  timeout: () => new Option('--probe-timeout <duration>', 'connect timeout of each probe').default(`${DEFAULT_PROBE.timeoutMs / 1000}s`),
};

const EXAMPLES_STATUS = `
Examples:
  # every context of the kubeconfig that runs the operator, and the data planes its ClientConfigs name
  k8ssandra status

  # CI: these clusters only, a JSON report, exit code 0 only when healthy
  k8ssandra status --contexts cp,dp1,dp2 -o json

  # wait until a new datacenter is ready
  k8ssandra status --watch --interval 10s`;
