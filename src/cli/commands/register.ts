import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag, parseApiServers, parseContextList, tokenTtlFlag } from '../parse.js';

/** `k8ssandra register`: flags become the flow's typed options; the flow does the rest. */
export function defineRegister(host: CommandHost): void {
  host.command('register', 'register data planes with the control plane, or rotate their tokens',
    'Write (or repair) the ClientConfig and kubeconfig Secret of each data plane in the control plane, with a bounded '
    + 'token of a least-privilege service account. --rotate mints fresh tokens for all of them in one batch; the old tokens '
    + 'stay valid until they expire, so the operator is never cut off. The operator must be installed in every context.', [
      flags.contexts('kubeconfig contexts, comma-separated: the control plane first, then data planes'),
      flags.controlPlane('the control plane (default: the first of --contexts)'), flags.namespace(),
      flags.clusterScoped('the operator watches all namespaces (bind the control plane\'s account cluster-wide)'),
      flags.apiServer(), flags.tokenTtl('lifetime of new tokens (at least 10m; e.g. 720h, 365d)'), flags.boundedTokens(),
      flags.registrationOption('--rotate', 'mint fresh tokens for every data plane, even where the stored ones still work').default(false),
      flags.force(), flags.dryRun(), flags.noWait('do not wait for the control-plane operator to be available again'), flags.timeout('5m'),
    ])
    .action(host.action('register', async (opts, g, ui, report, interrupt) => {
      const { runRegister } = await import('../../flows/register.js');
      await runRegister({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
        clusterScoped: opts.clusterScoped, apiServers: parseApiServers(opts.apiServer), tokenTtlSeconds: tokenTtlFlag(opts.tokenTtl),
        rotate: opts.rotate, boundedTokens: opts.boundedTokens, dryRun: opts.dryRun, force: opts.force, wait: opts.wait, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
        interrupt, requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
