import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, parseContextList } from '../parse.js';

/** `k8ssandra status`: flags become the flow's typed options; the flow does the rest. */
export function defineStatus(host: CommandHost): void {
  host.command('status', 'the whole multi-cluster installation at a glance: healthy, and if not, where',
    'Ask every cluster in parallel: reachability, operator mode, versions and readiness, cert-manager; the control plane\'s '
    + 'ClientConfigs (do their credentials still work, when do their tokens expire); every K8ssandraCluster with the progress of each '
    + 'datacenter, read from the cluster that runs it. Exit 0 only when everything found is healthy, 5 when degraded, 6 when a '
    + 'cluster cannot be reached.', [
      flags.contexts('contexts to check, comma-separated (default: every context of the kubeconfig; those without the operator are left out)')
        .makeOptionMandatory(false),
      flags.runOption('-w, --watch', 'ask again until everything is healthy (Ctrl-C stops)').default(false),
      flags.runOption('--interval <duration>', 'time between rounds of --watch').default('5s'),
    ])
    .action(host.action('status', async (opts, g, ui, report, interrupt) => {
      const { runStatus } = await import('../../flows/status.js');
      await runStatus({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), contexts: opts.contexts ? parseContextList(opts.contexts) : [],
        // Short and without retries: a dead cluster costs one request timeout.
        requestTimeoutMs: g.requestTimeoutMs ?? 5000, signal: interrupt.signal,
        watch: opts.watch, intervalMs: durationFlag('--interval', opts.interval) * 1000,
      }, ui, report);
    }));
}
