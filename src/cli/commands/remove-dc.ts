import { confirmer } from '../../ui/prompt.js';
import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag } from '../parse.js';

/** `k8ssandra remove-dc`: flags become the flow's typed options; the flow does the rest. */
export function defineRemoveDc(host: CommandHost): void {
  host.command('remove-dc', 'take a datacenter out of a K8ssandraCluster safely, and follow the operator until it is gone',
    'Find the control plane and read the K8ssandraCluster; refuse, changing nothing, the last datacenter, a cluster that is not Ready, '
    + 'one where another datacenter is being decommissioned or rebuilt, and user keyspaces that still replicate to the datacenter '
    + '(read through a Cassandra pod\'s management API via the API server; each printed with the ALTER KEYSPACE that fixes it); '
    + 'take it out of the spec with a patch that never overwrites concurrent edits; follow the decommission and report a refusal of '
    + 'the operator as soon as it says it.', [
      flags.clusterOption('--cluster <name>', 'the K8ssandraCluster (metadata.name)').makeOptionMandatory(),
      flags.clusterOption('--dc <name>', 'the datacenter to remove').makeOptionMandatory(),
      flags.controlPlane('the control plane\'s context (default: found among the kubeconfig\'s contexts)'),
      flags.namespace('namespace of the K8ssandraCluster (default: the control-plane operator\'s)', false),
      flags.clusterOption('--alter-keyspaces', 'run the ALTER KEYSPACE statements that take the datacenter out of user keyspaces (asks first)').default(false),
      flags.clusterOption('--uninstall-data-plane', 'afterwards, uninstall the data plane that hosted only this datacenter (asks first)').default(false),
      flags.dryRun(), flags.noWait('do not follow the operator after the datacenter left the spec'), flags.timeout('30m'),
    ])
    .action(host.action('remove-dc', async (opts, g, ui, report, interrupt) => {
      const { runRemoveDc } = await import('../../flows/remove-dc.js');
      await runRemoveDc({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), cluster: opts.cluster, dc: opts.dc, controlPlane: opts.controlPlane,
        namespace: opts.namespace === undefined ? undefined : namespaceFlag(opts.namespace), alterKeyspaces: opts.alterKeyspaces,
        uninstallDataPlane: opts.uninstallDataPlane, dryRun: opts.dryRun, wait: opts.wait, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
        confirm: confirmer(g, host.io, { signal: interrupt.signal }), interrupt, requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
