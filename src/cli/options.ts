import { Option } from 'commander';
import { DEFAULT_NAMESPACE, DEFAULT_PROBE } from '../defaults.js';

/**
 * The flags that several commands share, each defined once, in the help group it is listed under.
 * A command passes its own wording where the meaning differs (check's --operator-version compares,
 * install's installs), so that --help answers for that command.
 */
export const GROUPS = {
  clusters: 'Clusters:',
  release: 'Operator release:',
  probe: 'Routability probe:',
  registration: 'Registration:',
  run: 'Run:',
} as const;

const inGroup = (group: keyof typeof GROUPS) => (o: Option) => o.helpGroup(GROUPS[group]);
const clusters = inGroup('clusters');
const release = inGroup('release');
const registration = inGroup('registration');
const run = inGroup('run');

export const flags = {
  contexts: (what = 'kubeconfig contexts, comma-separated; the first is the control plane') =>
    clusters(new Option('-c, --contexts <list>', what).makeOptionMandatory()),
  controlPlane: (what = 'the context that runs the control plane (default: the first of --contexts)') =>
    clusters(new Option('--control-plane <context>', what)),
  namespace: (what = 'namespace of the operator', withDefault = true) => {
    const o = clusters(new Option('-n, --namespace <ns>', what));
    return withDefault ? o.default(DEFAULT_NAMESPACE) : o;
  },

  operatorVersion: (what = 'k8ssandra-operator release (default: the pinned one)', value?: string) => {
    const o = release(new Option('--operator-version <version>', what));
    return value ? o.default(value) : o;
  },
  manifests: (what = 'rendered release: a file, or a folder with control-plane.yaml and data-plane.yaml (default: the one recorded at install, else the official release)') =>
    release(new Option('--manifests <path>', what)),
  clusterScoped: (what = 'install the variant that watches all namespaces') => release(new Option('--cluster-scoped', what).default(false)),
  certManagerManifests: (what = 'cert-manager release file to install where it is missing (air-gapped); re-runs reuse the one recorded at install') =>
    release(new Option('--cert-manager-manifests <file>', what)),
  skipCertManager: (what = 'never install cert-manager (fail where it is missing)') => release(new Option('--skip-cert-manager', what).default(false)),

  /** The routability probe's flags (install, check). */
  probe: (skipWhat = 'do not probe pod-IP routability between clusters') => [
    new Option('--skip-routability', skipWhat).default(false),
    new Option('--ports <list>', 'TCP ports probed between pod IPs, comma-separated').default(DEFAULT_PROBE.ports.join(',')),
    new Option('--probe-image <image>', 'image of the probe pods: needs sh and a busybox nc (for private registries)').default(DEFAULT_PROBE.image),
    new Option('--probe-timeout <duration>', 'connect timeout of each probe').default(`${DEFAULT_PROBE.timeoutMs / 1000}s`),
  ].map(inGroup('probe')),
  skipRoutability: (what: string) => inGroup('probe')(new Option('--skip-routability', what).default(false)),

  apiServer: (what = 'API server address the control plane uses for a data plane (repeatable)') =>
    registration(new Option('--api-server <context=url...>', what)),
  tokenTtl: (what = 'lifetime of the control plane\'s tokens (at least 10m; e.g. 720h, 365d)') =>
    registration(new Option('--token-ttl <duration>', what).default('365d')),

  boundedTokens: (what = 'only bounded tokens, even where the API server caps their lifetime (default: a token Secret that lasts there)') =>
    registration(new Option('--bounded-tokens', what).default(false)),

  force: (what = 'take over fields another field manager owns (each one is named on stderr)') => run(new Option('--force', what).default(false)),
  dryRun: (what = 'show what would change; change nothing (server-side dry run)') => run(new Option('--dry-run', what).default(false)),
  noWait: (what: string) => run(new Option('--no-wait', what)),
  timeout: (value: string, what = 'one budget for every wait of the command') => run(new Option('--timeout <duration>', what).default(value)),

  // A flag of one command only, listed in the group it belongs to.
  clusterOption: (spec: string, what: string) => clusters(new Option(spec, what)),
  releaseOption: (spec: string, what: string) => release(new Option(spec, what)),
  registrationOption: (spec: string, what: string) => registration(new Option(spec, what)),
  runOption: (spec: string, what: string) => run(new Option(spec, what)),
};
