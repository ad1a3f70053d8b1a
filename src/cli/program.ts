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
    .option('--no-input', 'never prompt, even on a terminal')
    .option('--request-timeout <duration>', 'give up on one API request after this long (it is retried while --timeout allows)', '30s');

  const globals = (): GlobalOptions & { kubeconfig?: string } => {
    const g = program.opts();
    return { output: g.output, quiet: g.quiet, verbose: g.verbose, input: g.input, yes: g.yes, kubeconfig: g.kubeconfig,
      requestTimeoutMs: durationFlag('--request-timeout', g.requestTimeout) * 1000 };
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
          skipCertManager: opts.skipCertManager, clusterScoped: opts.clusterScoped, skipRoutability: opts.skipRoutability,
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

  return program;
}

function durationFlag(flag: string, value: string): number {
  const s = parseDuration(value);
  if (!s) throw usageError(`${flag} ${value} is not a duration`, 'write it as 90s, 10m, 2h or 30d');
  return s;
}

/** A namespace must be a DNS label; checked before any request is sent. */
function namespaceFlag(ns: string): string {
  if (ns.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) {
    throw usageError(`--namespace ${ns} is not a valid namespace name`, 'use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit');
  }
  return ns;
}

/** The Kubernetes TokenRequest API refuses lifetimes under 10 minutes. */
const MIN_TOKEN_TTL_SECONDS = 600;

function tokenTtlFlag(value: string): number {
  const s = durationFlag('--token-ttl', value);
  if (s < MIN_TOKEN_TTL_SECONDS) throw usageError(`--token-ttl ${value} is shorter than 10m, the shortest token Kubernetes issues`, 'e.g. --token-ttl 720h');
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
