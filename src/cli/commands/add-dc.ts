import { confirmer } from '../../ui/prompt.js';
import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag, parseApiServers, tokenTtlFlag } from '../parse.js';

/** `k8ssandra add-dc`: flags become the flow's typed options; the flow does the rest. */
export function defineAddDc(host: CommandHost): void {
  host.command('add-dc', 'add a datacenter to a K8ssandraCluster, in a registered context or a new one',
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
      flags.tokenTtl('lifetime of the control plane\'s token for a new data plane'), flags.boundedTokens(),
      flags.force('take over fields another field manager owns (new data plane objects)'),
      flags.dryRun(), flags.noWait('do not wait for the CassandraDatacenter to be Ready'), flags.timeout('20m'),
    ])
    .action(host.action('add-dc', async (opts, g, ui, report, interrupt) => {
      const { runAddDc } = await import('../../flows/add-dc.js');
      await runAddDc({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), cluster: opts.cluster, dc: opts.dc, context: opts.context, controlPlane: opts.controlPlane,
        namespace: opts.namespace === undefined ? undefined : namespaceFlag(opts.namespace), size: opts.size, replication: opts.replication,
        copyFrom: opts.copyFrom, operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
        skipCertManager: opts.skipCertManager, skipRoutability: opts.skipRoutability, apiServers: parseApiServers(opts.apiServer),
        tokenTtlSeconds: tokenTtlFlag(opts.tokenTtl), boundedTokens: opts.boundedTokens, force: opts.force, dryRun: opts.dryRun, wait: opts.wait,
        timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, confirm: confirmer(g, host.io, { signal: interrupt.signal }),
        interrupt, requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
