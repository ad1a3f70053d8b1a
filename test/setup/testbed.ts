// Vitest global setup of the e2e project: reuse a healthy test bed (>= 3 clusters and the podnet agent),
// or bring one up; on teardown stop it only if this run created it (never with KEEP_TESTBED=1).
// Every kubectl the tests run uses the bed's own cache (KUBECACHEDIR), never ~/.kube/cache: discovery is
// cached per host:port, and the ports of a bed repeat in the next bed of the same slot.
import type { TestProject } from 'vitest/node';
import { describeSettings, down, kubeconfigPath, status, up } from '../../testbed/bed.js';
import { existingContexts } from '../../testbed/kwokctl.js';
import { kubeCacheDir } from '../../testbed/paths.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testbedKubeconfig: string;
  }
}

const MIN_CLUSTERS = 3;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const seed = project.globalConfig.sequence.seed;
  if (seed !== undefined) {
    process.stderr.write(`[e2e] test files in random order, seed ${seed} (the same order again: K8SSANDRA_TEST_SEED=${seed} npm test)\n`);
  }
  process.env.KUBECACHEDIR = kubeCacheDir;
  const createdHere = existingContexts().length === 0;
  const current = await status();
  if (current.healthy && current.clusters.length >= MIN_CLUSTERS) {
    process.stderr.write(`[testbed] reusing the running bed (${current.clusters.map((c) => c.context).join(', ')}; ${describeSettings(current.settings)})\n`);
  } else {
    await up({ clusters: Math.max(MIN_CLUSTERS, current.clusters.length) });
  }
  process.env.K8SSANDRA_TESTBED_KUBECONFIG = kubeconfigPath;
  project.provide('testbedKubeconfig', kubeconfigPath);

  return async () => {
    if (createdHere && process.env.KEEP_TESTBED !== '1') await down();
  };
}
