// Brings one cluster of the bed to running: leaves a healthy one alone, restarts a broken one (its data
// kept), and makes it again when a restart does not help.
import { existsSync, rmSync } from 'node:fs';
import { clusterRunning, waitRunning } from './health.js';
import { clusterDir, createCluster, deleteCluster, restartCluster } from './kwokctl.js';
import type { Log } from './log.js';
import type { BedSettings } from './settings.js';
import { ComponentExited } from './wait.js';

/**
 * Starts a cluster's components (kwokctl start) until it runs. On a loaded machine a component may exit
 * while the others start: kube-controller-manager and kube-scheduler exit when they cannot renew their
 * leader lease in time. Such a cluster is started once more; twice in a row is an error.
 */
async function startUntilRunning(context: string, bin: string, log: Log): Promise<void> {
  try {
    await waitRunning(context);
  } catch (e) {
    if (!(e instanceof ComponentExited)) throw e;
    log(`${e.message}: starting it again`);
    await restartCluster(context, bin);
    await waitRunning(context);
  }
}

/** Starts (or leaves alone, or repairs) one cluster; says what it did. */
export async function ensureCluster(context: string, bin: string, settings: BedSettings, log: Log): Promise<string> {
  let action = 'created';
  if (existsSync(clusterDir(context))) {
    if (await clusterRunning(context)) return 'already healthy';
    action = 'restarted';
    try {
      await restartCluster(context, bin);
      await startUntilRunning(context, bin, log);
      return action;
    } catch (e) {
      log(`${context}: ${(e as Error).message}; making it again`);
      action = 'recreated';
      await deleteCluster(context, bin).catch(() => {});
      rmSync(clusterDir(context), { recursive: true, force: true });
    }
  }
  await createCluster(context, bin, settings);
  await startUntilRunning(context, bin, log);
  return action;
}
