// The bed's binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, kwokctl), built
// once per Kubernetes version from the Go module proxy by build-binaries.sh into a cache outside the repo.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildScript } from './paths.js';
import { bedSettings } from './settings.js';

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kwokctl'];

/**
 * The folder build-binaries.sh fills for a version (same rule as the script: TESTBED_CACHE,
 * XDG_CACHE_HOME, ~/.cache); by default the running bed's version.
 */
export function binDir(version = bedSettings().k8sVersion): string {
  const cache = process.env.TESTBED_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'k8ssandra-testbed');
  return join(cache, version, 'bin');
}

export function haveBinaries(dir = binDir()): boolean {
  return BINARIES.every((b) => existsSync(join(dir, b)));
}

/**
 * Runs build-binaries.sh for a version, which builds only what is missing (cold: ~10-16 min on 2 cores,
 * a further version ~5 min, cached: ~0 s), honours KUBEBUILDER_ASSETS, and waits for a build already
 * running. Its progress (one line per binary) goes to stderr. Returns the folder it prints.
 */
export async function ensureBinaries(version: string): Promise<string> {
  const { stdout } = await execa('bash', [buildScript], { stderr: 'inherit', env: { TESTBED_K8S_VERSION: version } });
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (!haveBinaries(dir)) throw new Error(`build-binaries.sh finished but ${dir} lacks some of ${BINARIES.join(', ')}`);
  return dir;
}
