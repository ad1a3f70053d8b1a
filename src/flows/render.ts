import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadCertManager } from '../manifests/cert-manager.js';
import { loadOperatorRelease, renderForCluster, type Role } from '../manifests/operator-release.js';
import type { KubeObject } from '../model/object.js';
import { dataPlaneAccessObjects, registrationObjects } from '../registration/objects.js';
import type { Reporter } from '../ui/reporter.js';
import type { InstallOptions } from './install.js';
import type { ReportDraft } from '../run/report.js';

/** The install flags that decide what is applied where, and the folder to write into. */
export type RenderOptions = Pick<InstallOptions, 'contexts' | 'controlPlane' | 'namespace' | 'operatorVersion' | 'manifests'
  | 'certManagerManifests' | 'clusterScoped'> & { out: string };

const toYaml = (objs: KubeObject[]) => objs.map((o) => stringify(o, { version: '1.1' })).join('---\n');

/**
 * `render`: every object `install` would apply, one folder per context, for GitOps. Touches no
 * cluster. The Secrets holding tokens are not rendered: a token is minted per cluster and must not
 * sit in Git; the ClientConfigs name the Secret each data plane needs (see README "Render for GitOps").
 */
export async function runRender(o: RenderOptions, ui: Reporter, out: ReportDraft): Promise<void> {
  const cp = o.controlPlane ?? o.contexts[0]!;
  const roleOf = (c: string): Role => (c === cp ? 'control-plane' : 'data-plane');
  const release = await ui.step('Load the operator release', async () => loadOperatorRelease(o));
  const certManager = o.certManagerManifests ? await loadCertManager({ manifests: o.certManagerManifests }) : undefined;
  // The release is the same text for every cluster of a role: render it to YAML once per role.
  const operatorYaml = new Map<Role, string>();
  const yamlFor = (name: string, objs: KubeObject[], role: Role) => {
    if (!name.startsWith('10-')) return toYaml(objs);
    if (!operatorYaml.has(role)) operatorYaml.set(role, toYaml(objs));
    return operatorYaml.get(role)!;
  };
  await ui.step(`Render into ${o.out}`, async (s) => {
    for (const ctx of o.contexts) {
      const dir = path.join(o.out, ctx.replace(/[^A-Za-z0-9._-]/g, '_'));
      mkdirSync(dir, { recursive: true });
      const files: Record<string, KubeObject[]> = {
        ...(certManager ? { '00-cert-manager.yaml': certManager.objects } : {}),
        '10-k8ssandra-operator.yaml': renderForCluster(release, roleOf(ctx), o.namespace),
        ...(ctx !== cp ? { '20-control-plane-access.yaml': dataPlaneAccessObjects(o.namespace, o.clusterScoped) } : {}),
        ...(ctx === cp ? { '30-clientconfigs.yaml': o.contexts.filter((c) => c !== cp).map((dp) => registrationObjects(dp, o.namespace, '').clientConfig) } : {}),
      };
      for (const [name, objs] of Object.entries(files)) {
        if (!objs.length) continue;
        const head = name.startsWith('30-') ? '# Create each Secret named in spec.kubeConfigSecret first (k8ssandra install/register, or your secret manager):\n# the operator crash-loops on a ClientConfig whose Secret is missing.\n' : '';
        writeFileSync(path.join(dir, name), head + yamlFor(name, objs, roleOf(ctx)));
      }
      const count = Object.values(files).reduce((n, objs) => n + objs.length, 0);
      out.clusters.push({ context: ctx, role: roleOf(ctx), server: '', namespace: o.namespace, operatorVersion: release.version,
        cassOperatorVersion: release.cassOperatorVersion, ready: false, changes: { created: count, changed: 0, unchanged: 0 }, objects: [], elapsedMs: 0 });
      s.note(`${ctx}: ${count} objects in ${dir}`);
    }
  });
  out.dryRun = true;
  out.ok = true;
  out.summary = `rendered ${o.contexts.length} folder(s) into ${o.out}; nothing was applied`;
}
