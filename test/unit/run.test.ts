import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { ConnectError } from '../../src/kube/client.js';
import type { Cluster } from '../../src/kube/connect.js';
import { renderReport } from '../../src/report/render.js';
import type { RunContext } from '../../src/run/context.js';
import { forEachCluster } from '../../src/run/fan-out.js';
import { newReport } from '../../src/run/report.js';
import { runSteps, type Step } from '../../src/run/steps.js';
import { newTarget, type Target } from '../../src/run/target.js';
import { createReporter } from '../../src/ui/reporter.js';
import { styler } from '../../src/ui/style.js';

const cluster = (name: string) => ({ ctx: { name, server: `https://${name}.example:6443` }, client: {} }) as unknown as Cluster;

function run(names: string[]): RunContext {
  const lines: string[] = [];
  const stream = { write: (s: string) => { lines.push(s); return true; }, isTTY: false } as unknown as NodeJS.WriteStream;
  return { ui: createReporter({ stream, env: {} }), report: newReport('install'), deadline: Date.now() + 10_000, namespace: 'ns', dryRun: false,
    targets: names.map((n, i) => newTarget(cluster(n), i === 0 ? 'control-plane' : 'data-plane')) };
}

/** A step that writes one object per cluster, slowly where asked, and fails in the clusters named. */
const applyStep = (o: { failIn: Record<string, unknown>; slowMs?: Record<string, number> }): Step<RunContext> => ({
  title: 'Install the operator',
  async run(ctx) {
    ctx.changing = true;
    await forEachCluster('install', ctx.targets, async (t: Target) => {
      await sleep(o.slowMs?.[t.cluster.ctx.name] ?? 0);
      const e = o.failIn[t.cluster.ctx.name];
      if (e) throw e;
      t.objects.push({ ref: 'Deployment/ns/op', action: 'created' });
    });
  },
});

describe('steps and fan-out', () => {
  it('runs the steps in order; a finished run reports every cluster without an outcome', async () => {
    const ctx = run(['cp', 'dp1']);
    const seen: string[] = [];
    await runSteps(ctx, [
      { title: 'one', async run() { seen.push('one'); } },
      { title: 'skipped', skip: () => true, async run() { seen.push('skipped'); } },
      { title: 'two', quiet: true, async run() { seen.push('two'); } },
    ]);
    expect(seen).toEqual(['one', 'two']);
    expect(ctx.report.clusters.map((c) => [c.context, c.role, c.outcome])).toEqual([['cp', 'control-plane', undefined], ['dp1', 'data-plane', undefined]]);
  });

  it('one cluster fails: the others finish their step, each outcome is reported, the next step never starts', async () => {
    const ctx = run(['cp', 'dp1', 'dp2']);
    let next = false;
    const failure = runSteps(ctx, [
      applyStep({ failIn: { dp2: new ConnectError('ECONNREFUSED', 'connection refused', 'dp2') }, slowMs: { cp: 50, dp1: 80 } }),
      { title: 'Register data planes', async run() { next = true; } },
    ]);
    await expect(failure).rejects.toThrow(/dp2: connection refused/);
    expect(next).toBe(false);
    const byContext = Object.fromEntries(ctx.report.clusters.map((c) => [c.context, c]));
    // cp and dp1 were slower than dp2's failure and still got through.
    expect(byContext.cp!.changes.created).toBe(1);
    expect(byContext.dp1!.changes.created).toBe(1);
    expect([byContext.cp!.outcome, byContext.dp1!.outcome]).toEqual(['stopped', 'stopped']);
    expect(byContext.dp2).toMatchObject({ outcome: 'failed', problem: 'install: connection refused', changes: { created: 0 } });
  });

  it('several clusters fail: one error names each, with the exit code of the most telling', async () => {
    const ctx = run(['cp', 'dp1', 'dp2']);
    const e = await runSteps(ctx, [applyStep({ failIn: {
      dp1: new ConnectError('ECONNREFUSED', 'connection refused', 'dp1'),
      dp2: new CliError('timeout', 'timed out waiting for Deployment k8ssandra-operator'),
    } })]).catch((x) => x);
    expect(e).toBeInstanceOf(CliError);
    expect(e.exit).toBe('timeout');
    expect(e.message).toBe('2 of 3 clusters failed: dp1: connection refused; dp2: timed out waiting for Deployment k8ssandra-operator');
  });

  it('a run that fails before any change reports its checks alone, no clusters', async () => {
    const ctx = run(['cp', 'dp1']);
    await expect(runSteps(ctx, [{ title: 'Preflight checks', async run() { throw new CliError('checksFailed', 'no'); } }])).rejects.toThrow('no');
    expect(ctx.report.clusters).toEqual([]);
  });

  it('the text report says which cluster failed in which step and which were stopped', async () => {
    const ctx = run(['cp', 'dp2']);
    await runSteps(ctx, [applyStep({ failIn: { dp2: new ConnectError('ECONNREFUSED', 'connection refused', 'dp2') } })]).catch(() => {});
    const text = renderReport({ schemaVersion: 'k8ssandra.io/report/v1', ...ctx.report, exitCode: 6, elapsedMs: 1,
      error: { message: 'dp2: connection refused', exit: 'unreachable' } }, 'text', styler(false));
    expect(text).toMatch(/dp2: failed in install: connection refused/);
    expect(text).toMatch(/cp: stopped after the steps above/);
  });

  it('an upgrade that removes objects keeps the apply table, with a DELETED column; only uninstall shows the removal table', async () => {
    const ctx = run(['cp']);
    ctx.report.command = 'upgrade';
    ctx.targets[0]!.objects.push({ ref: 'Certificate/ns/a', action: 'created' }, { ref: 'ConfigMap/ns/b', action: 'deleted' });
    await runSteps(ctx, []);
    const text = renderReport({ schemaVersion: 'k8ssandra.io/report/v1', ...ctx.report, exitCode: 0, elapsedMs: 1 }, 'text', styler(false));
    expect(text).toMatch(/CREATED\s+CHANGED\s+UNCHANGED\s+DELETED/);
    expect(text).not.toMatch(/KEPT/);
  });

  it('Ctrl-C is the error, not a failure of each cluster: the clusters it cut short are stopped', async () => {
    const ctx = run(['cp', 'dp1']);
    const ctrlC = new CliError('interrupted', 'interrupted (SIGINT): stopped cleanly');
    const e = await runSteps(ctx, [applyStep({ failIn: { cp: ctrlC, dp1: ctrlC } })]).catch((x) => x);
    expect(e).toBe(ctrlC);
    expect(ctx.report.clusters.map((c) => c.outcome)).toEqual(['stopped', 'stopped']);
  });
});
