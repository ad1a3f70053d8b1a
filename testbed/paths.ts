// Where the test bed keeps its state. Everything lives under <repo>/.testbed (git-ignored), found from
// this file's location so that the bed works from any working directory.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const testbedDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(testbedDir, '..');
export const stateDir = join(repoRoot, '.testbed');

/** The one kubeconfig of the bed: contexts cp, dp1, dp2, ... */
export const kubeconfigPath = join(stateDir, 'kubeconfig');
/** kwokctl's workdir (KWOK_WORKDIR): clusters/<name>/ holds each cluster's pids, logs, pki and config. */
export const kwokWorkdir = join(stateDir, 'kwok');
/** kwokctl insists on adding its contexts to some kubeconfig; this throw-away one keeps ~/.kube/config untouched. */
export const kwokctlKubeconfigPath = join(kwokWorkdir, 'kwokctl-kubeconfig');
/**
 * kubectl's cache (KUBECACHEDIR) for the bed: discovery is cached per host:port, ports repeat from one
 * bed to the next (topology.ts), so a cache shared with other beds (~/.kube/cache) would describe
 * another bed's API. Set by the e2e tests' global setup; `down` removes it with the rest of .testbed.
 */
export const kubeCacheDir = join(stateDir, 'kube-cache');
export const cutsPath = join(stateDir, 'cuts.json');
/** What the bed was made with (Kubernetes version, token cap), kept for its lifetime: see settings.ts. */
export const settingsPath = join(stateDir, 'settings.json');
/** The bed's address slot (see topology.ts), chosen by `up`. */
export const slotPath = join(stateDir, 'slot');
export const podnetPidPath = join(stateDir, 'podnet.pid');
export const podnetLogPath = join(stateDir, 'podnet.log');
export const podnetScript = join(testbedDir, 'podnet.ts');
export const buildScript = join(testbedDir, 'build-binaries.sh');

/** The machine's network-safety checker (shared tooling); TESTBED_SAFETY_CHECK overrides the path. */
export const safetyCheckPath = process.env.TESTBED_SAFETY_CHECK ?? resolve(repoRoot, '../shared/tools/bed-safety-check');
