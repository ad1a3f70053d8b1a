import { usageError } from '../../errors.js';
import { confirmer } from '../../ui/prompt.js';
import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag, parseApiServers, tokenTtlFlag } from '../parse.js';

/** `k8ssandra move-control-plane`: flags become the flow's typed options; the flow does the rest. */
export function defineMoveControlPlane(host: CommandHost): void {
  host.command('move-control-plane', 'move the control plane to another cluster (one of its data planes), or restore it there from an export',
    'Refuse unless every datacenter is Ready and no decommission, rebuild or task runs. Then: record the move in both install records; '
    + 'register every other cluster with the new control plane; copy the Secrets, the K8ssandraClusters (annotations and status), '
    + 'ReplicatedSecrets and K8ssandraTasks into it; switch the old operator to data-plane mode and wait until none of its pods runs as '
    + 'control plane; switch the new one to control-plane mode; remove the old copies without any deletion in a data plane. Never two '
    + 'control planes at once. Interrupted, the same command finishes the move. With --from-export FILE (k8ssandra export) instead of '
    + '--from, the old control plane is not read: the Secrets come from the data planes that hold replicas.', [
      flags.clusterOption('--from <context>', 'the context that runs the control plane now'),
      flags.clusterOption('--from-export <file>', 'an export of the lost control plane (k8ssandra export), instead of --from'),
      flags.clusterOption('--to <context>', 'the context that becomes the control plane (it runs the operator as a data plane)').makeOptionMandatory(),
      flags.namespace(), flags.apiServer(), flags.tokenTtl(),
      flags.force('take over fields other field managers own; move without Secrets found nowhere'),
      flags.dryRun('print where the move stands and the steps left; change nothing'), flags.timeout('10m'),
    ])
    .action(host.action('move-control-plane', async (opts, g, ui, report, interrupt) => {
      if (!opts.from === !opts.fromExport) throw usageError('pass one of --from CONTEXT and --from-export FILE', 'e.g. --from cp --to dp1');
      const { runMoveControlPlane } = await import('../../flows/move-control-plane.js');
      await runMoveControlPlane({
        kubeconfig: g.kubeconfig, env: host.io.env, from: opts.from, fromExport: opts.fromExport, to: opts.to, namespace: namespaceFlag(opts.namespace),
        apiServers: parseApiServers(opts.apiServer), tokenTtlSeconds: tokenTtlFlag(opts.tokenTtl), force: opts.force, dryRun: opts.dryRun,
        timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, confirm: confirmer(g, host.io, { signal: interrupt.signal }), interrupt,
        requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}

