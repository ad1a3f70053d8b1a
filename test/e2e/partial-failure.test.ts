// One cluster fails in the middle of an install: dp2's API server freezes at its first write. The
// others are not cut short, the report gives every cluster's outcome (what was applied where, which
// cluster failed in which step, which were stopped), nothing is written after the failed step (no
// registration), and a plain re-run converges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra } from '../helpers/cli.js';
import { bedServer, FaultProxy, writeKubeconfig } from '../helpers/fault-proxy.js';
import { removeInstall } from '../helpers/uninstalled.js';

const NS = 'k8ssandra-operator';
let proxy: FaultProxy;
let proxied: string; // the bed's kubeconfig with dp2 behind the proxy

const names = async (ctx: string, kind: string) =>
  (await kubectl(ctx, '-n', NS, 'get', kind, '-o', 'name', '--ignore-not-found')).split('\n').filter(Boolean);

describe('a cluster that fails mid-install: every cluster\'s outcome is reported', { timeout: 400_000 }, () => {
  beforeAll(async () => {
    proxy = await FaultProxy.start('dp2');
    proxied = writeKubeconfig({ proxies: { dp2: proxy } });
    // dp2 without the operator (the install has something to write there), and no registration of dp2 in cp.
    await removeInstall('dp2', { keepNamespace: true, keepCrds: true });
    await kubectl('cp', '-n', NS, 'delete', 'clientconfig,secret', '-l', 'app.kubernetes.io/managed-by=k8ssandra-cli', '--ignore-not-found').catch(() => '');
    expect(await names('dp2', 'deployments')).toEqual([]);
  });
  afterAll(async () => { await proxy?.close(); });

  it('dp2 frozen during the install step: cp and dp1 finish, dp2 is named as failed, no registration is written, exit non-zero', async () => {
    // Frozen from its first write on: that write and every request after it get no answer.
    proxy.add({ method: 'PATCH', fault: { stall: true } });
    proxy.next('PATCH', /./).then(() => proxy.add({ fault: { stall: true } }), () => {});
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '--api-server', `dp2=${bedServer('dp2')}`,
      '--request-timeout', '2s', '--timeout', '90s', '-o', 'json'], { kubeconfig: proxied });
    const report = r.json();
    expect(r.exitCode, r.stderr).not.toBe(0);
    expect([4, 6]).toContain(r.exitCode); // the deadline (or the unreachable server) ended dp2's step
    expect(report.error.message).toMatch(/dp2/);
    const byContext = Object.fromEntries(report.clusters.map((c: any) => [c.context, c]));
    expect(Object.keys(byContext).sort()).toEqual(['cp', 'dp1', 'dp2']);
    expect(byContext.dp2.outcome).toBe('failed');
    expect(byContext.dp2.problem).toMatch(/^install: /);
    for (const ctx of ['cp', 'dp1']) {
      // Not cut short: their install step ended with every object of the release applied.
      expect(byContext[ctx].outcome, JSON.stringify(byContext[ctx])).toBe('stopped');
      expect(byContext[ctx].objects.length).toBeGreaterThan(40);
      expect(byContext[ctx].objects.some((o: any) => o.ref === `Deployment/${NS}/k8ssandra-operator`)).toBe(true);
    }
    // kubectl: the operator is there in cp and dp1; the failed step stopped the run before registration.
    expect(await names('cp', 'deployments')).toContain('deployment.apps/k8ssandra-operator');
    expect(await names('dp1', 'deployments')).toContain('deployment.apps/k8ssandra-operator');
    expect(await names('cp', 'clientconfigs')).toEqual([]);
    expect(report.registrations).toEqual([]);
  });

  it('a plain re-run without the fault converges: every cluster installed and registered', async () => {
    proxy.reset();
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '--api-server', `dp2=${bedServer('dp2')}`, '-o', 'json'],
      { kubeconfig: proxied });
    expect(r.exitCode, r.stderr).toBe(0);
    const report = r.json();
    expect(report.clusters.every((c: any) => c.outcome === undefined && c.ready)).toBe(true);
    expect((await names('cp', 'clientconfigs')).sort()).toEqual(['clientconfig.config.k8ssandra.io/dp1', 'clientconfig.config.k8ssandra.io/dp2']);
  });
});
