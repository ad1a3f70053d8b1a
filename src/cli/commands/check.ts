import { DEFAULT_OPERATOR_VERSION } from '../../defaults.js';
import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag, parseApiServers, parseContextList, probeSettings } from '../parse.js';

/** `k8ssandra check`: flags become the flow's typed options; the flow does the rest. */
export function defineCheck(host: CommandHost): void {
  host.command('check', 'preflight and pod-IP routability checks; changes nothing but temporary probe pods',
    'Everything install verifies before it changes anything: preflight checks of every cluster, then a probe of pod-IP '
    + 'routability between every pair of clusters on the Cassandra ports (temporary probe pods, deleted at the end).', [
      flags.contexts(), flags.controlPlane('the context that will run the control plane (default: the first of --contexts)'),
      flags.namespace('namespace of the operator; the probe pods run there'),
      flags.operatorVersion('release an install would bring, to compare existing installs with', DEFAULT_OPERATOR_VERSION),
      flags.skipCertManager('an install will not install cert-manager: fail where it is missing'),
      ...flags.probe('preflight only: no probe pods'),
      flags.apiServer('API server address the control plane would use for a data plane, probed from its pods (repeatable)'), flags.timeout('5m'),
    ])
    .action(host.action('check', async (opts, g, ui, report, interrupt) => {
      const { runCheck } = await import('../../flows/check.js');
      await runCheck({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
        operatorVersion: opts.operatorVersion, skipCertManager: opts.skipCertManager, skipRoutability: opts.skipRoutability,
        apiServers: parseApiServers(opts.apiServer),
        probe: probeSettings(opts), timeoutMs: durationFlag('--timeout', opts.timeout) * 1000, interrupt, requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
