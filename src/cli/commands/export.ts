import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag } from '../parse.js';

/** `k8ssandra export`: flags become the flow's typed options; the flow does the rest. */
export function defineExport(host: CommandHost): void {
  host.command('export', 'write what a move of the control plane needs to a file (no Secret data)',
    'Read the control plane\'s K8ssandraClusters, ReplicatedSecrets and K8ssandraTasks (with their status), the names of its '
    + 'ClientConfigs and of the Secrets the clusters use, and write them to FILE. No token, key or kubeconfig is written: at restore '
    + '(move-control-plane --from-export FILE) the Secrets are taken from the data planes that hold replicas of them. Changes nothing.', [
      flags.clusterOption('--context <context>', 'the control plane\'s context').makeOptionMandatory(),
      flags.clusterOption('--file <file>', 'where to write the export').makeOptionMandatory(),
      flags.namespace(), flags.timeout('2m'),
    ])
    .action(host.action('export', async (opts, g, ui, report, interrupt) => {
      const { runExport } = await import('../../flows/export.js');
      await runExport({
        kubeconfig: g.kubeconfig, env: host.io.env, context: opts.context, file: opts.file, namespace: namespaceFlag(opts.namespace),
        timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, interrupt, requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
