// Wiring: each command, run through the real CLI entry (main.run) with its flow stubbed, hands the
// flow the options its flags say, and turns what the flow reports into the report and exit code.
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Io } from '../../src/cli/host.js';
import { run } from '../../src/main.js';
import type { ReportDraft } from '../../src/run/report.js';

const calls = vi.hoisted(() => ({ options: new Map<string, any>(), outcome: { ok: true, summary: 'stubbed' } as Partial<ReportDraft> }));
const stub = (name: string) => async (o: unknown, _ui: unknown, report: ReportDraft) => {
  calls.options.set(name, o);
  Object.assign(report, calls.outcome);
};
vi.mock('../../src/flows/install.js', () => ({ runInstall: stub('install') }));
vi.mock('../../src/flows/register.js', () => ({ runRegister: stub('register') }));
vi.mock('../../src/flows/uninstall.js', () => ({ runUninstall: stub('uninstall') }));
vi.mock('../../src/flows/check.js', () => ({ runCheck: stub('check') }));
vi.mock('../../src/flows/status.js', () => ({ runStatus: stub('status') }));
vi.mock('../../src/flows/add-dc.js', () => ({ runAddDc: stub('add-dc') }));
vi.mock('../../src/flows/remove-dc.js', () => ({ runRemoveDc: stub('remove-dc') }));
vi.mock('../../src/flows/render.js', () => ({ runRender: stub('render') }));
vi.mock('../../src/flows/move-control-plane.js', () => ({ runMoveControlPlane: stub('move-control-plane') }));
vi.mock('../../src/flows/export.js', () => ({ runExport: stub('export') }));

const env = { KUBECONFIG: '/nowhere/config', CI: '1' };

async function cli(...argv: string[]) {
  const stdout = new PassThrough(), stderr = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.resume();
  const code = await run(argv, { stdout, stderr, stdin: new PassThrough(), env } as unknown as Io);
  return { code, stdout: Buffer.concat(out).toString() };
}

beforeEach(() => { calls.options.clear(); calls.outcome = { ok: true, summary: 'stubbed' }; });

describe('each command hands its flags to its flow', () => {
  it('install', async () => {
    const r = await cli('install', '--contexts', 'cp,dp1', '--control-plane', 'cp', '-n', 'ops', '--manifests', '/m', '--skip-routability',
      '--api-server', 'dp1=https://10.0.0.1:6443', '--token-ttl', '48h', '--dry-run', '--no-wait', '--timeout', '2m', '-o', 'json');
    expect(r.code).toBe(0);
    expect(calls.options.get('install')).toMatchObject({ contexts: ['cp', 'dp1'], controlPlane: 'cp', namespace: 'ops', manifests: '/m', skipRoutability: true,
      apiServers: { dp1: 'https://10.0.0.1:6443' }, tokenTtlSeconds: 172800, dryRun: true, wait: false, timeoutMs: 120_000, env });
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'install', ok: true, exitCode: 0, summary: 'stubbed' });
  });

  it('register --rotate', async () => {
    expect((await cli('register', '--contexts', 'cp,dp1', '--rotate', '--cluster-scoped')).code).toBe(0);
    expect(calls.options.get('register')).toMatchObject({ contexts: ['cp', 'dp1'], rotate: true, clusterScoped: true, env });
  });

  it('uninstall --delete-crds --force', async () => {
    expect((await cli('uninstall', '--contexts', 'dp2', '--control-plane', 'cp', '--delete-crds', '--force', '--yes')).code).toBe(0);
    expect(calls.options.get('uninstall')).toMatchObject({ contexts: ['dp2'], controlPlane: 'cp', deleteCrds: true, force: true });
  });

  it('check --ports', async () => {
    expect((await cli('check', '--contexts', 'a,b', '--ports', '7000,9042')).code).toBe(0);
    expect(calls.options.get('check')).toMatchObject({ contexts: ['a', 'b'], probe: { ports: [7000, 9042] } });
  });

  it('status --watch', async () => {
    expect((await cli('status', '--watch', '--interval', '10s')).code).toBe(0);
    expect(calls.options.get('status')).toMatchObject({ contexts: [], watch: true, intervalMs: 10_000, requestTimeoutMs: 5000 });
  });

  it('add-dc', async () => {
    expect((await cli('add-dc', '--cluster', 'demo', '--dc', 'dc2', '--context', 'dp2', '--size', '3', '--replication', 'app=3')).code).toBe(0);
    expect(calls.options.get('add-dc')).toMatchObject({ cluster: 'demo', dc: 'dc2', context: 'dp2', size: '3', replication: 'app=3' });
  });

  it('remove-dc', async () => {
    expect((await cli('remove-dc', '--cluster', 'demo', '--dc', 'dc2', '--alter-keyspaces', '--uninstall-data-plane', '--no-wait', '--timeout', '5m')).code).toBe(0);
    expect(calls.options.get('remove-dc')).toMatchObject({ cluster: 'demo', dc: 'dc2', alterKeyspaces: true, uninstallDataPlane: true, wait: false, timeoutMs: 300_000 });
    expect((await cli('remove-dc', '--cluster', 'demo')).code).toBe(2);
  });

  it('render', async () => {
    expect((await cli('render', '--contexts', 'cp,dp1', '--out', '/tmp/x')).code).toBe(0);
    expect(calls.options.get('render')).toMatchObject({ contexts: ['cp', 'dp1'], out: '/tmp/x' });
  });

  it('move-control-plane', async () => {
    expect((await cli('move-control-plane', '--from', 'cp', '--to', 'dp1', '--api-server', 'dp2=https://10.0.0.2:6443', '--token-ttl', '720h', '--dry-run')).code).toBe(0);
    expect(calls.options.get('move-control-plane')).toMatchObject({ from: 'cp', to: 'dp1', apiServers: { dp2: 'https://10.0.0.2:6443' }, tokenTtlSeconds: 720 * 3600,
      dryRun: true, namespace: 'k8ssandra-operator' });
    expect((await cli('move-control-plane', '--from-export', '/tmp/e.yaml', '--to', 'dp1', '--force')).code).toBe(0);
    expect(calls.options.get('move-control-plane')).toMatchObject({ fromExport: '/tmp/e.yaml', to: 'dp1', force: true });
  });

  it('move-control-plane needs exactly one of --from and --from-export', async () => {
    expect((await cli('move-control-plane', '--to', 'dp1')).code).toBe(2);
    expect((await cli('move-control-plane', '--from', 'cp', '--from-export', '/e', '--to', 'dp1')).code).toBe(2);
    expect(calls.options.has('move-control-plane')).toBe(false);
  });

  it('export', async () => {
    expect((await cli('export', '--context', 'cp', '--file', '/tmp/e.yaml')).code).toBe(0);
    expect(calls.options.get('export')).toMatchObject({ context: 'cp', file: '/tmp/e.yaml', namespace: 'k8ssandra-operator' });
  });

  it('a flow that ends not ok gives its exit code and the report says why', async () => {
    calls.outcome = { ok: false, failExit: 'checksFailed', summary: '2 check(s) failed' };
    const r = await cli('check', '--contexts', 'a,b', '-o', 'json');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 3, summary: '2 check(s) failed' });
    expect(JSON.parse(r.stdout)).not.toHaveProperty('failExit');
  });

  it('bad flags never reach the flow', async () => {
    expect((await cli('install', '--contexts', 'cp', '--token-ttl', '1s')).code).toBe(2);
    expect(calls.options.has('install')).toBe(false);
  });
});
