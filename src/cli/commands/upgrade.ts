import { confirmer } from '../../ui/prompt.js';
import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag, parseContextList } from '../parse.js';

/** `k8ssandra upgrade`: flags become the flow's typed options; the flow does the rest. */
export function defineUpgrade(host: CommandHost): void {
  host.command('upgrade', 'move every cluster to another operator release: CRDs first, then data planes, then the control plane',
    'Read what each cluster has (its install record), plan per cluster the objects added, changed and removed, and move every '
    + 'cluster in the order that never runs an operator against older CRDs: the CRDs of every cluster (waited for until '
    + 'Established), the data planes\' operators, the control plane\'s. Objects the new release no longer has are removed only '
    + 'when k8ssandra wrote them; CRDs and custom resources stay. Registrations stay as they are and are verified. A downgrade, or '
    + 'an operator installed by another tool, is refused unless --force. Safe to interrupt and repeat.', [
      flags.contexts('kubeconfig contexts, comma-separated: the control plane first'), flags.controlPlane(), flags.namespace(),
      flags.operatorVersion('release to upgrade to'), flags.manifests('rendered release to upgrade to: a file, or a folder with control-plane.yaml and data-plane.yaml'),
      flags.force('downgrade, and take over an operator another tool installed'),
      flags.dryRun('print the plan per cluster; change nothing'), flags.timeout('15m', 'one budget for the whole upgrade (each stage is waited for: the next depends on it)'),
    ])
    .action(host.action('upgrade', async (opts, g, ui, report, interrupt) => {
      const { runUpgrade } = await import('../../flows/upgrade.js');
      await runUpgrade({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
        operatorVersion: opts.operatorVersion, manifests: opts.manifests, force: opts.force, dryRun: opts.dryRun, wait: true,
        timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, confirm: confirmer(g, host.io, { signal: interrupt.signal }), interrupt,
        requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
