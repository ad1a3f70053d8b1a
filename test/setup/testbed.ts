// Vitest global setup of the e2e project: reuse a healthy test bed (>= 3 clusters and the podnet agent),
// or bring one up; on teardown stop it only if this run created it (never with KEEP_TESTBED=1).
import type { TestProject } from 'vitest/node';
import { down, kubeconfigPath, status, up } from '../../testbed/bed.js';
import { existingContexts } from '../../testbed/kwokctl.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testbedKubeconfig: string;
  }
}

const MIN_CLUSTERS = 3;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const createdHere = existingContexts().length === 0;
  const current = await status();
  if (current.healthy && current.clusters.length >= MIN_CLUSTERS) {
    process.stderr.write(`[testbed] reusing the running bed (${current.clusters.map((c) => c.context).join(', ')})\n`);
  } else {
    await up({ clusters: Math.max(MIN_CLUSTERS, current.clusters.length) });
  }
  process.env.K8SSANDRA_TESTBED_KUBECONFIG = kubeconfigPath;
  project.provide('testbedKubeconfig', kubeconfigPath);

  return async () => {
    if (createdHere && process.env.KEEP_TESTBED !== '1') await down();
  };
}
