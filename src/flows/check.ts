import { failed, type Check } from '../checks/catalog.js';
import type { ProbeSettings } from '../defaults.js';
import { checkRoutability } from '../routability/check.js';
import { resolveTopology } from '../steps/connect.js';
import { evaluatePreflight, gatherAll } from '../steps/preflight.js';
import type { Reporter, StepHandle } from '../ui/reporter.js';
import { deadlineFrom } from '../util/wait.js';
import type { FlowResult } from './result.js';

export interface CheckOptions {
  kubeconfig?: string;
  contexts: string[];
  controlPlane?: string;
  namespace: string;
  operatorVersion: string;
  skipCertManager: boolean;
  skipRoutability: boolean;
  probe: ProbeSettings;
  timeoutMs: number;
  /** Ctrl-C: stops the requests and waits; the probe pods are still deleted. */
  signal?: AbortSignal;
  requestTimeoutMs?: number;
}

/**
 * `check`: resolve, preflight, routability; everything `install` verifies before it changes anything,
 * and nothing else. The only objects it creates are the temporary probe pods (and their namespace when
 * it is missing), all deleted before it ends.
 */
export async function runCheck(o: CheckOptions, ui: Reporter, out: FlowResult): Promise<void> {
  const deadline = deadlineFrom(o.timeoutMs);
  const { clusters, cp, roleOf } = await resolveTopology(ui, { kubeconfig: o.kubeconfig, contexts: o.contexts, controlPlane: o.controlPlane,
    log: ui.verbose, signal: o.signal, deadline, requestTimeoutMs: o.requestTimeoutMs });
  const cpName = cp.ctx.name;

  const facts = await ui.step('Preflight checks', async (s) => {
    const f = await gatherAll(clusters, roleOf, o.namespace);
    record(out, s, ui, evaluatePreflight(f, { controlPlane: cpName, namespace: o.namespace, operatorVersion: o.operatorVersion, installCertManager: !o.skipCertManager }));
    return f;
  });

  // A cluster that cannot be reached has already failed; the others are still worth probing.
  const reachable = clusters.filter((c) => facts.find((f) => f.context === c.ctx.name)?.reachable);
  if (!o.skipRoutability) {
    await ui.step('Routability between clusters', async (s) => {
      const r = await checkRoutability(reachable, { ...o.probe, namespace: o.namespace, deadline, facts }, s.note, (what) => s.update(what));
      out.routability = r.report;
      record(out, s, ui, r.checks);
    });
  }

  const bad = failed(out.checks);
  out.ok = bad.length === 0;
  out.failExit = bad.some((c) => c.id === 'K8S-REACHABLE') ? 'unreachable' : 'checksFailed';
  const probed = out.routability ? `, pod IPs probed on TCP ${o.probe.ports.join(', ')}` : '';
  out.summary = out.ok
    ? `${clusters.length} cluster(s) ready for k8ssandra${probed}`
    : `${bad.length} check(s) failed${probed}: fix them before installing`;
}

function record(out: FlowResult, s: StepHandle, ui: Reporter, checks: Check[]): void {
  out.checks.push(...checks);
  for (const c of checks.filter((c) => c.status !== 'pass')) s.note(`${ui.style.mark[c.status]} [${c.id}] ${c.message}`);
}
