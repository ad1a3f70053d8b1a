import type { CommandHost } from '../host.js';
import { flags } from '../options.js';
import { namespaceFlag, parseContextList } from '../parse.js';

/** `k8ssandra render`: flags become the flow's typed options; the flow does the rest. */
export function defineRender(host: CommandHost): void {
  host.command('render', 'write every object install would apply, one folder per context (GitOps); touches no cluster',
    'Write the operator release (in its role), the data planes\' access objects and the control plane\'s ClientConfigs into one '
    + 'folder per context, without a kubeconfig or network when --manifests is given. Secrets with tokens are not rendered.', [
      flags.contexts('context names, comma-separated; the first is the control plane'),
      flags.clusterOption('--out <dir>', 'folder to write into (one sub-folder per context)').makeOptionMandatory(),
      flags.controlPlane('the context that runs the control plane (default: the first)'), flags.namespace(),
      flags.operatorVersion(), flags.manifests(), flags.certManagerManifests('also render this cert-manager release into every folder'),
      flags.clusterScoped('the variant that watches all namespaces'),
    ])
    .action(host.action('render', async (opts, _g, ui, report) => {
      const { runRender } = await import('../../flows/render.js');
      await runRender({ contexts: parseContextList(opts.contexts), controlPlane: opts.controlPlane, namespace: namespaceFlag(opts.namespace),
        operatorVersion: opts.operatorVersion, manifests: opts.manifests, certManagerManifests: opts.certManagerManifests,
        clusterScoped: opts.clusterScoped, out: opts.out }, ui, report);
    }));
}
