// Whether a cluster of the bed runs: every component kwokctl started is alive and its API server answers
// /readyz. Used by `up` (leave alone, repair or wait) and by `status`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kube, loadContexts, withClient } from './kube.js';
import { clusterDir, clusterKubeconfig, clusterPids, startTimeoutMs } from './kwokctl.js';
import { ComponentExited, waitFor } from './wait.js';

/** etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok-controller. */
export const COMPONENTS = 5;

/** A client for a cluster through kwokctl's own admin kubeconfig (works before the bed's kubeconfig exists). */
export function adminClient(context: string): Kube {
  const ctx = loadContexts(clusterKubeconfig(context))[0];
  if (!ctx) throw new Error(`no context in ${clusterKubeconfig(context)}`);
  return new Kube(ctx);
}

export async function readyz(kube: Kube): Promise<boolean> {
  return (await kube.get<string>('/readyz', 3000).catch(() => '')) === 'ok';
}

async function adminHealthy(context: string): Promise<boolean> {
  if (!existsSync(clusterKubeconfig(context))) return false;
  return withClient(adminClient(context), readyz).catch(() => false);
}

/** The last lines of a component's log (kwokctl's logs/<component>.log): why it exited, in the error itself. */
function logTail(context: string, component: string, lines = 3): string {
  try {
    const text = readFileSync(join(clusterDir(context), 'logs', `${component}.log`), 'utf8').trimEnd();
    return text.split('\n').slice(-lines).map((l) => l.slice(0, 400)).join(' | ');
  } catch {
    return 'no log';
  }
}

/** What keeps a cluster from running: components missing or exited, or an API server not ready; undefined when it runs. */
async function clusterProblem(context: string): Promise<{ message: string; exited: boolean } | undefined> {
  const pids = clusterPids(context);
  if (pids.length !== COMPONENTS) return { message: `${pids.length} of ${COMPONENTS} components started`, exited: false };
  const exited = pids.filter((p) => !p.alive);
  if (exited.length) {
    return { message: `${exited.map((p) => `${p.component} (pid ${p.pid}) exited, its log ends: ${logTail(context, p.component)}`).join('; ')}`, exited: true };
  }
  if (!(await adminHealthy(context))) return { message: 'its API server is not ready (/readyz)', exited: false };
  return undefined;
}

/** Every component kwokctl started is still running, and the API server is ready. */
export async function clusterRunning(context: string): Promise<boolean> {
  return (await clusterProblem(context)) === undefined;
}

/** Waits until the cluster runs; fails at once when one of its components exited (kwokctl restarts none). */
export async function waitRunning(context: string): Promise<void> {
  await waitFor(`${context} to run`, startTimeoutMs(), async () => {
    const problem = await clusterProblem(context);
    if (problem?.exited) throw new ComponentExited(`${context}: ${problem.message}; logs: ${join(clusterDir(context), 'logs')}`);
    if (problem) throw new Error(problem.message);
    return true;
  }, join(clusterDir(context), 'logs'));
}
