import { confirmer } from '../../ui/prompt.js';
import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag, parseContextList } from '../parse.js';

/** `k8ssandra uninstall`: flags become the flow's typed options; the flow does the rest. */
export function defineUninstall(host: CommandHost): void {
  host.command('uninstall', 'remove the operator and the registrations (CRDs and data are kept)',
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
    .action(host.action('uninstall', async (opts, g, ui, report, interrupt) => {
      const { runUninstall } = await import('../../flows/uninstall.js');
      await runUninstall({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
        operatorVersion: opts.operatorVersion, manifests: opts.manifests, clusterScoped: opts.clusterScoped, deleteCrds: opts.deleteCrds,
        force: opts.force, dryRun: opts.dryRun, wait: opts.wait, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
        confirm: confirmer(g, host.io, { destructive: true, signal: interrupt.signal }), interrupt, requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
