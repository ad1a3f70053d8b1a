// The bed's binaries (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, kwokctl), built
// once from the Go module proxy by build-binaries.sh into a cache outside the repo.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { K8S_VERSION } from './kwokctl.js';
import { buildScript } from './paths.js';

export const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'kwokctl'];

/** The folder build-binaries.sh fills (same rule as the script: TESTBED_CACHE, XDG_CACHE_HOME, ~/.cache). */
export function binDir(): string {
  const cache = process.env.TESTBED_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'k8ssandra-testbed');
  return join(cache, K8S_VERSION, 'bin');
}

export function haveBinaries(dir = binDir()): boolean {
  return BINARIES.every((b) => existsSync(join(dir, b)));
}

/**
 * Runs build-binaries.sh, which builds only what is missing (cold: ~10-16 min on 2 cores, cached: ~0 s),
 * honours KUBEBUILDER_ASSETS, and waits for a build already running. Returns the folder it prints.
 */
export async function ensureBinaries(): Promise<string> {
  const { stdout } = await execa('bash', [buildScript], { stderr: 'inherit', env: { TESTBED_K8S_VERSION: K8S_VERSION } });
  const dir = stdout.trim().split('\n').pop() ?? '';
  if (!haveBinaries(dir)) throw new Error(`build-binaries.sh finished but ${dir} lacks some of ${BINARIES.join(', ')}`);
  return dir;
}
