// Runs the built CLI as a user would: a child process, its exit code, stdout and stderr.
import path from 'node:path';
import { execa } from 'execa';
import { bedKubeconfig } from './bed.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const upstream = path.resolve(repoRoot, '../shared/upstream');
export const operatorManifests = path.join(upstream, 'k8ssandra-operator-v1.32.5');
export const certManagerManifests = path.join(upstream, 'cert-manager-v1.18.5/cert-manager-standin.yaml');

export interface CliRun { exitCode: number; stdout: string; stderr: string; json: <T = any>() => T }

export async function k8ssandra(args: string[], opts: { env?: Record<string, string>; kubeconfig?: string | null } = {}): Promise<CliRun> {
  const kc = opts.kubeconfig === null ? [] : ['--kubeconfig', opts.kubeconfig ?? bedKubeconfig()];
  const r = await execa('node', [path.join(repoRoot, 'bin/k8ssandra.js'), ...kc, ...args],
    { reject: false, env: { NO_COLOR: '1', ...opts.env }, stdin: 'ignore', timeout: 300_000 });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

/** The flags every install against the bed needs: the real upstream release from local files. */
export const bedInstallFlags = ['--manifests', operatorManifests, '--cert-manager-manifests', certManagerManifests, '--skip-routability', '--yes'];
