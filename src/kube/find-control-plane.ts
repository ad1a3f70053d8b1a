import { CliError, describe } from '../errors.js';
import { createClient } from './client.js';
import { kubeconfigInUse } from './connect.js';
import { ExecPlugins } from './exec-plugin.js';
import { resolveContexts } from './kubeconfig.js';
import { findOperators, type ExistingOperator } from './operators.js';

/** What one context answered when asked whether it runs the control plane. */
export interface ControlPlaneProbe { context: string; operators?: ExistingOperator[]; error?: string }
export interface FoundControlPlane { context: string; operator: ExistingOperator; probed: number }

export interface FindControlPlaneOptions {
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  /** --control-plane: checked, not searched for. */
  explicit?: string;
  /** Budget per context while searching: unreachable or slow contexts are passed over, not waited for. */
  probeTimeoutMs?: number;
  log?: (line: string) => void;
  /** Ctrl-C, the command's deadline and request timeout: reach the search too. */
  signal?: AbortSignal;
  deadline?: number;
  requestTimeoutMs?: number;
  /** The command's exec credential plugins (one run for the contexts that share a user). */
  plugins?: ExecPlugins;
}

/**
 * Finds the context whose k8ssandra-operator runs with K8SSANDRA_CONTROL_PLANE=true: the one named by
 * --control-plane, else the only one among the kubeconfig's contexts, all asked in parallel with a
 * short budget each. Several (or none) is an error that asks for --control-plane.
 */
export async function findControlPlane(o: FindControlPlaneOptions): Promise<FoundControlPlane> {
  const cfg = kubeconfigInUse(o);
  const auth = { plugins: o.plugins ?? new ExecPlugins({ env: o.env }) };
  if (o.explicit) {
    const [ctx] = resolveContexts(cfg, [o.explicit]);
    const client = await createClient(ctx!, { log: o.log, signal: o.signal, deadline: o.deadline, timeoutMs: o.requestTimeoutMs, env: o.env, auth });
    return chooseControlPlane([{ context: ctx!.name, operators: await findOperators(client) }], true);
  }
  const budget = o.probeTimeoutMs ?? 8000;
  const probes = await Promise.all([...cfg.contexts.keys()].map(async (context): Promise<ControlPlaneProbe> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      // Making a client does no I/O (the clock starts after it); credentials plugins run with the first request.
      const [ctx] = resolveContexts(cfg, [context]);
      const client = await createClient(ctx!, { timeoutMs: Math.min(budget, 5000), log: o.log, signal: o.signal, deadline: o.deadline, env: o.env, auth });
      const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${budget} ms`)), budget); });
      return await Promise.race([findOperators(client).then((operators) => ({ context, operators })), timeout]);
    } catch (e) {
      o.log?.(`${context}: not searched for a control plane: ${describe(e)}`);
      return { context, error: describe(e) };
    } finally {
      clearTimeout(timer);
    }
  }));
  return chooseControlPlane(probes, false);
}

/** The verdict on what the contexts answered (pure, so that every case is a unit test). */
export function chooseControlPlane(probes: ControlPlaneProbe[], explicit: boolean): FoundControlPlane {
  const found = probes.flatMap((p) => (p.operators ?? []).filter((op) => op.mode === 'control-plane').map((operator) => ({ context: p.context, operator })));
  if (explicit) {
    const p = probes[0]!;
    if (!found.length) {
      const dp = p.operators?.find((op) => op.mode === 'data-plane');
      throw new CliError('usage', `context ${p.context} does not run the k8ssandra-operator control plane${dp ? ` (it runs a data plane in ${dp.namespace})` : ''}`,
        { context: p.context, hint: 'pass the context of the control plane with --control-plane, or install one with k8ssandra install' });
    }
  }
  const unreachable = probes.filter((p) => p.error).map((p) => p.context);
  if (found.length === 1) return { ...found[0]!, probed: probes.length };
  if (!found.length) {
    throw new CliError('usage', `no control plane found: none of the ${probes.length - unreachable.length} reachable kubeconfig context(s) runs k8ssandra-operator with K8SSANDRA_CONTROL_PLANE=true`
      + (unreachable.length ? ` (${unreachable.length} did not answer: ${unreachable.slice(0, 3).join(', ')}${unreachable.length > 3 ? ', ...' : ''})` : ''),
    { hint: 'pass --control-plane CONTEXT, or install one first with k8ssandra install' });
  }
  throw new CliError('usage', `several contexts run a control plane: ${found.map((f) => `${f.context} (${f.operator.namespace})`).join(', ')}`,
    { hint: `say which with --control-plane, e.g. --control-plane ${found[0]!.context}` });
}
