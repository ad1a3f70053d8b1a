import { confirmer } from '../../ui/prompt.js';
import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { durationFlag, namespaceFlag, parseApiServers, parseContextList, probeSettings, tokenTtlFlag } from '../parse.js';

/** `k8ssandra install`: flags become the flow's typed options; the flow does the rest. */
export function defineInstall(host: CommandHost): void {
  host.command('install', 'install the operator: control plane in one context, data planes in the others',
    'Preflight every cluster, probe pod-IP routability between them, install cert-manager where missing and the operator '
    + '(control-plane mode in one context, data-plane mode in the others), register each data plane with the control plane, '
    + 'wait, and report. Safe to re-run: what is already as planned is left alone.', [
      flags.contexts(), flags.controlPlane(), flags.namespace(),
      flags.operatorVersion(), flags.manifests(), flags.clusterScoped(), flags.certManagerManifests(), flags.skipCertManager(),
      ...flags.probe(),
      flags.apiServer(), flags.tokenTtl(), flags.boundedTokens(),
      flags.registrationOption('--rotate-tokens', 'mint fresh tokens for every registration (see also: k8ssandra register --rotate)').default(false),
      flags.force('take over fields another field manager owns (each one named on stderr), and replace an operator of another version'),
      flags.dryRun(), flags.noWait('do not wait for the operators to be available'), flags.timeout('10m'),
    ])
    .action(host.action('install', async (opts, g, ui, report, interrupt) => {
      const { runInstall } = await import('../../flows/install.js');
      await runInstall({
        kubeconfig: g.kubeconfig, env: host.io.env, plugins: host.plugins(g, ui), contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
        operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
        skipCertManager: opts.skipCertManager, clusterScoped: opts.clusterScoped, skipRoutability: opts.skipRoutability, probe: probeSettings(opts),
        apiServers: parseApiServers(opts.apiServer), tokenTtlSeconds: tokenTtlFlag(opts.tokenTtl), rotateTokens: opts.rotateTokens, boundedTokens: opts.boundedTokens,
        dryRun: opts.dryRun, wait: opts.wait, force: opts.force, timeoutMs: durationFlag('--timeout', opts.timeout) * 1000,
        confirm: confirmer(g, host.io, { signal: interrupt.signal }), interrupt, requestTimeoutMs: g.requestTimeoutMs,
      }, ui, report);
    }));
}
