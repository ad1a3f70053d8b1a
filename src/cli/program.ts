import { Command, Help, Option } from 'commander';
import { execute, type GlobalOptions, type Io } from '../main.js';
import { DEFAULT_OPERATOR_VERSION } from '../defaults.js';
import { usageError } from '../errors.js';
import { confirmer } from '../ui/prompt.js';
import { version } from '../version.js';
import { EXAMPLES } from './examples.js';
import { flags } from './options.js';
import { durationFlag, namespaceFlag, parseApiServers, parseContextList, probeSettings, tokenTtlFlag } from './parse.js';

/** commander wiring only: flags become typed options, each command calls one flow. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const help = new Help();
  const program = new Command('k8ssandra')
    .description('Install and operate the K8ssandra operator across several Kubernetes clusters at once')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Global options under each command's own; "(default: false)" says nothing about a switch.
    .configureHelp({ showGlobalOptions: true, optionDescription: (o) => help.optionDescription(o).replace(/ \(default: false\)$/, '') })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config)'))
    .addOption(new Option('-o, --output <format>', 'report format').choices(['text', 'json', 'yaml']).default('text'))
    .addOption(new Option('-q, --quiet', 'no progress on stderr'))
    .addOption(new Option('-v, --verbose', 'print every API request (method, path, status; never credentials)'))
    .addOption(new Option('-y, --yes', 'answer yes to confirmations'))
    .addOption(new Option('--no-input', 'never prompt, even on a terminal'))
    .addOption(new Option('--request-timeout <duration>',
      'give up on one API request after this long (default: 30s, retried while --timeout allows; status: 5s, no retry)'))
    .addHelpText('after', EXAMPLES.program);

  const globals = (): GlobalOptions & { kubeconfig?: string } => {
    const g = program.opts();
    return { output: g.output, quiet: g.quiet, verbose: g.verbose, input: g.input, yes: g.yes, kubeconfig: g.kubeconfig,
      requestTimeoutMs: g.requestTimeout === undefined ? undefined : durationFlag('--request-timeout', g.requestTimeout) * 1000 };
  };
  const command = (name: string, summary: string, description: string, options: Option[]) => {
    const c = program.command(name).summary(summary).description(description).addHelpText('after', EXAMPLES[name as keyof typeof EXAMPLES]);
    for (const o of options) c.addOption(o);
    return c;
  };

  command('install', 'install the operator: control plane in one context, data planes in the others',
    'Preflight every cluster, probe pod-IP routability between them, install cert-manager where missing and the operator '
    + '(control-plane mode in one context, data-plane mode in the others), register each data plane with the control plane, '
    + 'wait, and report. Safe to re-run: what is already as planned is left alone.', [
      flags.contexts(), flags.controlPlane(), flags.namespace(),
      flags.operatorVersion(), flags.manifests(), flags.clusterScoped(), flags.certManagerManifests(), flags.skipCertManager(),
      ...flags.probe(),
      flags.apiServer(), flags.tokenTtl(),
      flags.registrationOption('--rotate-tokens', 'mint fresh tokens for every registration (see also: k8ssandra register --rotate)').default(false),
      flags.force('take over fields another field manager owns (each one named on stderr), and replace an operator of another version'),
      flags.dryRun(), flags.noWait('do not wait for the operators to be available'), flags.timeout('10m'),
    ])
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

  command('register', 'register data planes with the control plane, or rotate their tokens',
    'Write (or repair) the ClientConfig and kubeconfig Secret of each data plane in the control plane, with a bounded '
    + 'token of a least-privilege service account. --rotate mints fresh tokens for all of them in one batch; the old tokens '
    + 'stay valid until they expire, so the operator is never cut off. The operator must be installed in every context.', [
      flags.contexts('kubeconfig contexts, comma-separated: the control plane first, then data planes'),
      flags.controlPlane('the control plane (default: the first of --contexts)'), flags.namespace(),
      flags.clusterScoped('the operator watches all namespaces (bind the control plane\'s account cluster-wide)'),
      flags.apiServer(), flags.tokenTtl('lifetime of new tokens (at least 10m; e.g. 720h, 365d)'),
      flags.registrationOption('--rotate', 'mint fresh tokens for every data plane, even where the stored ones still work').default(false),
      flags.force(), flags.dryRun(), flags.noWait('do not wait for the control-plane operator to be available again'), flags.timeout('5m'),
    ])
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

  command('uninstall', 'remove the operator and the registrations (CRDs and data are kept)',
    'Delete what k8ssandra installed in each context: the operator release (Deployments, RBAC, webhooks, Services, '
    + 'ConfigMaps, Issuers, Certificates) and the registrations (ClientConfigs and their Secrets in the control plane, the '
    + 'control plane\'s service account in data planes). Only objects written by k8ssandra are deleted. CRDs, custom '
    + 'resources and data are kept unless --delete-crds; namespaces and cert-manager are always kept. A data plane that a '
    + 'K8ssandraCluster still uses is refused while its control plane stays, unless --force. Asks first on a terminal.', [
      flags.contexts('kubeconfig contexts to uninstall from, comma-separated'),
      flags.controlPlane('a control plane that stays: remove only the registrations of these contexts from it'), flags.namespace(),
      flags.operatorVersion('release whose objects to remove (default: the installed one)'), flags.manifests(),
      flags.clusterScoped('remove the variant that watches all namespaces (detected from the operator when it runs)'),
      flags.releaseOption('--delete-crds', 'also delete the CRDs, with every custom resource of them (refused while some exist, unless --force)').default(false),
      flags.force('uninstall a data plane that a K8ssandraCluster still uses; with --delete-crds: delete the CRDs even though custom resources exist'),
      flags.dryRun('show what would be deleted; delete nothing (server-side dry run)'),
      flags.noWait('do not wait until the deleted objects are gone'), flags.timeout('5m'),
    ])
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

  command('check', 'preflight and pod-IP routability checks; changes nothing but temporary probe pods',
    'Everything install verifies before it changes anything: preflight checks of every cluster, then a probe of pod-IP '
    + 'routability between every pair of clusters on the Cassandra ports (temporary probe pods, deleted at the end).', [
      flags.contexts(), flags.controlPlane('the context that will run the control plane (default: the first of --contexts)'),
      flags.namespace('namespace of the operator; the probe pods run there'),
      flags.operatorVersion('release an install would bring, to compare existing installs with', DEFAULT_OPERATOR_VERSION),
      flags.skipCertManager('an install will not install cert-manager: fail where it is missing'),
      ...flags.probe('preflight only: no probe pods'), flags.timeout('5m'),
    ])
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('check', g, io, async (ui, out, interrupt) => {
        const { runCheck } = await import('../flows/check.js');
        await runCheck({
          kubeconfig: g.kubeconfig, contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
          operatorVersion: opts.operatorVersion, skipCertManager: opts.skipCertManager, skipRoutability: opts.skipRoutability,
          probe: probeSettings(opts), timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, signal: interrupt.signal, requestTimeoutMs: g.requestTimeoutMs,
        }, ui, out);
      }));
    });

  command('status', 'the whole multi-cluster installation at a glance: healthy, and if not, where',
    'Ask every cluster in parallel: reachability, operator mode, versions and readiness, cert-manager; the control plane\'s '
    + 'ClientConfigs (do their credentials still work, when do their tokens expire); every K8ssandraCluster with the progress of each '
    + 'datacenter, read from the cluster that runs it. Exit 0 only when everything found is healthy, 5 when degraded, 6 when a '
    + 'cluster cannot be reached.', [
      flags.contexts('contexts to check, comma-separated (default: every context of the kubeconfig; those without the operator are left out)')
        .makeOptionMandatory(false),
      flags.runOption('-w, --watch', 'ask again until everything is healthy (Ctrl-C stops)').default(false),
      flags.runOption('--interval <duration>', 'time between rounds of --watch').default('5s'),
    ])
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

  command('add-dc', 'add a datacenter to a K8ssandraCluster, in a registered context or a new one',
    'Read the K8ssandraCluster from the control plane and refuse it unless every datacenter is Ready; make the context '
    + 'a registered data plane when it is not (preflight, routability, install, register); append the datacenter with a patch that '
    + 'never overwrites concurrent edits, validated by a server-side dry run first; wait for its CassandraDatacenter to be Ready; report.', [
      flags.clusterOption('--cluster <name>', 'the K8ssandraCluster (metadata.name)').makeOptionMandatory(),
      flags.clusterOption('--dc <name>', 'name of the new datacenter (a DNS label)').makeOptionMandatory(),
      flags.clusterOption('--context <context>', 'kubeconfig context the datacenter goes to').makeOptionMandatory(),
      flags.controlPlane('the control plane\'s context (default: found among the kubeconfig\'s contexts)'),
      flags.namespace('namespace of the K8ssandraCluster (default: the control-plane operator\'s)', false),
      flags.clusterOption('--size <n>', 'Cassandra nodes in the new datacenter (default: the size of the datacenter copied from)'),
      flags.clusterOption('--replication <ks=n,...>', 'replication factor per user keyspace in the new datacenter (sets k8ssandra.io/dc-replication)'),
      flags.clusterOption('--copy-from <dc>', 'datacenter whose settings fill what the flags do not set (default: the first)'),
      flags.operatorVersion('release to install into a new data plane (default: the control plane\'s)'),
      flags.manifests('rendered release for a new data plane: a file, or a folder with control-plane.yaml and data-plane.yaml'),
      flags.certManagerManifests('cert-manager release file for a new data plane that lacks it (air-gapped)'), flags.skipCertManager(),
      flags.skipRoutability('do not probe pod-IP routability to the clusters of the existing datacenters'),
      flags.apiServer('API server address the control plane uses for a new data plane'),
      flags.tokenTtl('lifetime of the control plane\'s token for a new data plane'),
      flags.force('take over fields another field manager owns (new data plane objects)'),
      flags.dryRun(), flags.noWait('do not wait for the CassandraDatacenter to be Ready'), flags.timeout('20m'),
    ])
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('add-dc', g, io, async (ui, out, interrupt) => {
        const { runAddDc } = await import('../flows/add-dc.js');
        await runAddDc({
          kubeconfig: g.kubeconfig, cluster: opts.cluster, dc: opts.dc, context: opts.context, controlPlane: opts.controlPlane,
          namespace: opts.namespace === undefined ? undefined : namespaceFlag(opts.namespace), size: opts.size, replication: opts.replication,
          copyFrom: opts.copyFrom, operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
          skipCertManager: opts.skipCertManager, skipRoutability: opts.skipRoutability, apiServers: parseApiServers(opts.apiServer),
          tokenTtlSeconds: tokenTtlFlag(opts.tokenTtl), force: opts.force, dryRun: opts.dryRun, wait: opts.wait,
          timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, confirm: confirmer(g, io, { signal: interrupt.signal }),
          interrupt, requestTimeoutMs: g.requestTimeoutMs,
        }, ui, out);
      }));
    });

  command('render', 'write every object install would apply, one folder per context (GitOps); touches no cluster',
    'Write the operator release (in its role), the data planes\' access objects and the control plane\'s ClientConfigs into one '
    + 'folder per context, without a kubeconfig or network when --manifests is given. Secrets with tokens are not rendered.', [
      flags.contexts('context names, comma-separated; the first is the control plane'),
      flags.clusterOption('--out <dir>', 'folder to write into (one sub-folder per context)').makeOptionMandatory(),
      flags.controlPlane('the context that runs the control plane (default: the first)'), flags.namespace(),
      flags.operatorVersion(), flags.manifests(), flags.certManagerManifests('also render this cert-manager release into every folder'),
      flags.clusterScoped('the variant that watches all namespaces'),
    ])
    .action(async (opts) => {
      const g = globals();
      setExit(await execute('render', g, io, async (ui, out) => {
        const { runRender } = await import('../flows/render.js');
        await runRender({ contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
          operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
          clusterScoped: opts.clusterScoped, out: opts.out }, ui, out);
      }));
    });

  program.command('completion')
    .summary('print a shell completion script (bash, zsh or fish)')
    .description('Print a completion script for commands, flags and the kubeconfig\'s context names.')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', EXAMPLES.completion)
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
