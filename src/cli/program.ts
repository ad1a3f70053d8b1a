import { Command, Option } from 'commander';
import { execute, type GlobalOptions, type Io } from '../main.js';
import { DEFAULT_NAMESPACE, DEFAULT_OPERATOR_VERSION, DEFAULT_PROBE } from '../defaults.js';
import { usageError } from '../errors.js';
import { durationFlag, parseApiServers, parseContextList, probeSettings } from './parse.js';
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
    .addOption(probeOptions.ports()).addOption(probeOptions.image()).addOption(probeOptions.timeout())
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
          skipCertManager: opts.skipCertManager, clusterScoped: opts.clusterScoped, skipRoutability: opts.skipRoutability, probe: probeSettings(opts),
          apiServers: parseApiServers(opts.apiServer), tokenTtlSeconds: durationFlag('--token-ttl', opts.tokenTtl),
          dryRun: opts.dryRun, wait: opts.wait, force: opts.force, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
          confirm: confirmer(g, io),
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
      setExit(await execute('check', g, io, async (ui, out) => {
        const { runCheck } = await import('../flows/check.js');
        await runCheck({
          kubeconfig: g.kubeconfig, contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: opts.namespace,
          operatorVersion: opts.operatorVersion, skipCertManager: opts.skipCertManager, skipRoutability: opts.skipRoutability,
          probe: probeSettings(opts), timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
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
