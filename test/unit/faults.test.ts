// Pure logic behind the fault guarantees: which failures are retried and after how long, Ctrl-C with
// a shielded batch, whose fields --force took over, what uninstall deletes, private cache files.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError, ConnectError, parseRetryAfter, retryDelay, toCliError } from '../../src/kube/client.js';
import { conflictManagers } from '../../src/model/field-manager.js';
import type { KubeObject } from '../../src/model/object.js';
import { KEPT_CRD, KEPT_NAMESPACE, phaseOf, planRemoval } from '../../src/plan/uninstall.js';
import { evaluatePreflight } from '../../src/checks/preflight.js';
import { type ClusterFacts } from '../../src/checks/preflight-facts.js';
import { confirmer } from '../../src/ui/prompt.js';
import { writeCacheFile } from '../../src/util/cache.js';
import { createInterrupt } from '../../src/util/interrupt.js';
import { waitUntil } from '../../src/util/wait.js';
import { execute } from '../../src/cli/execute.js';
import { PassThrough } from 'node:stream';

const api = (status: number, retryAfterMs?: number) => new ApiError(status, 'X', 'm', 'cp', retryAfterMs);
const conn = (code: string) => new ConnectError(code, 'm', 'cp');

describe('retries', () => {
  it('backs off 250 ms doubling to 4 s, for 429, 5xx, resets, refusals and timeouts', () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => retryDelay(api(503), a, {}))).toEqual([250, 500, 1000, 2000, 4000, 4000]);
    for (const e of [api(429), api(500), api(502), api(504), conn('ECONNRESET'), conn('ECONNREFUSED'), conn('ETIMEDOUT')]) {
      expect(retryDelay(e, 0, { method: 'PATCH' })).toBe(250);
    }
  });

  it('never retries what cannot succeed, nor beyond the attempts allowed', () => {
    for (const e of [api(400), api(401), api(403), api(404), api(409), api(422), conn('ECREDENTIALS'), conn('EDEADLINE'), new Error('x')]) {
      expect(retryDelay(e, 0, {})).toBeUndefined();
    }
    expect(retryDelay(api(503), 3, {}, 3)).toBeUndefined();
  });

  it('honours Retry-After when it asks for longer than the backoff, and gives up when it asks for too long', () => {
    expect(retryDelay(api(429, 2000), 0, {})).toBe(2000);
    expect(retryDelay(api(503, 100), 3, {})).toBe(2000);
    expect(retryDelay(api(429, 60_000), 0, {})).toBeUndefined();
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('sends a POST again only when the server did not act on it, unless the caller says it is idempotent', () => {
    const post = { method: 'POST' as const };
    expect(retryDelay(api(500), 0, post)).toBeUndefined();
    expect(retryDelay(conn('ECONNRESET'), 0, post)).toBeUndefined();
    expect(retryDelay(conn('ETIMEDOUT'), 0, post)).toBeUndefined();
    expect(retryDelay(api(429), 0, post)).toBe(250);
    expect(retryDelay(conn('ECONNREFUSED'), 0, post)).toBe(250);
    // TokenRequest and access reviews store nothing: retried like a GET.
    expect(retryDelay(api(500), 0, { ...post, idempotent: true })).toBe(250);
  });

  it('maps what is left after retrying to exit codes: 5xx/429 unreachable, deadline timeout, 409 conflict', () => {
    expect(toCliError(api(503), 'install').exit).toBe('unreachable');
    expect(toCliError(api(429), 'install').hint).toMatch(/overloaded/);
    expect(toCliError(conn('EDEADLINE'), 'install').exit).toBe('timeout');
    expect(toCliError(api(409), 'install').exit).toBe('conflict');
    expect(toCliError(api(401), 'install').message).toMatch(/credentials rejected/);
  });
});

describe('Ctrl-C', () => {
  it('aborts at once outside a shielded section', () => {
    const i = createInterrupt();
    i.request('SIGINT');
    expect(i.signal.aborted).toBe(true);
    expect((i.signal.reason as Error).message).toBe('interrupted (SIGINT): stopped cleanly');
  });

  it('lets a shielded batch finish, then aborts', async () => {
    const i = createInterrupt();
    const seen: string[] = [];
    await i.shield(async () => {
      i.request('SIGINT');
      seen.push(`inside: aborted=${i.signal.aborted}`);
      await new Promise((r) => setTimeout(r, 10));
      seen.push('batch done');
    });
    seen.push(`after: aborted=${i.signal.aborted}`);
    expect(seen).toEqual(['inside: aborted=false', 'batch done', 'after: aborted=true']);
    await expect(i.shield(async () => 1)).rejects.toThrow(/interrupted/);
  });

  it('stops a wait while it sleeps', async () => {
    const i = createInterrupt();
    setTimeout(() => i.request('SIGTERM'), 50);
    const t = Date.now();
    await expect(waitUntil('never', async () => undefined, { deadline: Date.now() + 60_000, intervalMs: 10_000, signal: i.signal }))
      .rejects.toMatchObject({ exit: 'interrupted' });
    expect(Date.now() - t).toBeLessThan(5_000); // not the 10 s interval it was sleeping
  });

  it('execute turns SIGINT into a clean stop: the flow sees the abort, the report says interrupted, exit 130', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let text = '';
    stdout.on('data', (c) => { text += c; });
    const io = { stdout, stderr, stdin: new PassThrough(), env: {} } as any;
    const before = process.listenerCount('SIGINT');
    const code = await execute('install', { output: 'json', input: false }, io, async (ui, out, interrupt) => {
      out.summary = 'half-way';
      setTimeout(() => process.emit('SIGINT'), 20);
      await ui.step('Wait', () => waitUntil('forever', async () => undefined, { deadline: Date.now() + 60_000, signal: interrupt.signal }));
    });
    expect(code).toBe(130);
    expect(JSON.parse(text).error).toMatchObject({ exit: 'interrupted', message: 'interrupted (SIGINT): stopped cleanly' });
    expect(process.listenerCount('SIGINT')).toBe(before); // our handler is gone: a later Ctrl-C is Node's again
  });

  it('a wait past its deadline says what was missing', async () => {
    await expect(waitUntil('Deployments', async () => undefined, { deadline: Date.now() + 100, intervalMs: 40 }, () => 'x not ready'))
      .rejects.toMatchObject({ exit: 'timeout', message: 'timed out waiting for Deployments (x not ready)' });
  });
});

describe('--force and existing installs', () => {
  it('names the managers whose fields a forced apply takes over', () => {
    expect(conflictManagers('Apply failed with 2 conflicts: conflict with "kubectl-patch" using v1: .data.kubeconfig\nconflict with "helm" using v1: .x'))
      .toEqual(['kubectl-patch', 'helm']);
    expect(conflictManagers('Apply failed with 1 conflict: conflicts with "kubectl-label": .metadata.labels.a')).toEqual(['kubectl-label']);
    expect(conflictManagers('something else')).toEqual(['another field manager']);
  });

  it('refuses to change the version of an existing operator unless --force', () => {
    const facts: ClusterFacts = { context: 'dp1', server: 's', reachable: true, version: 'v1.34.4', clusterId: 'u', denied: [], certManager: true,
      operators: [{ namespace: 'k8ssandra-operator', mode: 'data-plane', version: 'v1.31.0' }], podCidrs: [], nodesWithoutCidr: 0 };
    const plan = { controlPlane: 'cp', namespace: 'k8ssandra-operator', operatorVersion: 'v1.32.5', installCertManager: true };
    const refused = evaluatePreflight([facts], plan).find((c) => c.id === 'OPERATOR-EXISTING')!;
    expect(refused).toMatchObject({ status: 'fail', message: 'dp1 already runs operator v1.31.0, not v1.32.5' });
    expect(refused.hint).toMatch(/--force/);
    expect(evaluatePreflight([facts], { ...plan, allowVersionChange: true }).find((c) => c.id === 'OPERATOR-EXISTING')!.status).toBe('warn');
  });
});

describe('what uninstall deletes', () => {
  const obj = (kind: string, name: string, managers: string[], extra: Partial<KubeObject['metadata']> = {}): KubeObject =>
    ({ apiVersion: 'v1', kind, metadata: { name, managedFields: managers.map((manager) => ({ manager, operation: 'Apply' })), ...extra } });

  it('deletes only what our field manager wrote; keeps namespaces, CRDs (unless asked) and what others made', () => {
    const plan = planRemoval([
      obj('Deployment', 'k8ssandra-operator', ['k8ssandra-cli', 'kube-controller-manager']),
      obj('ConfigMap', 'manager-config', ['helm']),
      obj('Namespace', 'k8ssandra-operator', ['k8ssandra-cli']),
      obj('CustomResourceDefinition', 'k8ssandraclusters.k8ssandra.io', ['k8ssandra-cli']),
      obj('Secret', 'no-managers', []),
    ], { deleteCrds: false });
    expect(plan.map((r) => [r.object.metadata.name, r.action, r.reason])).toEqual([
      ['k8ssandra-operator', 'delete', undefined],
      ['manager-config', 'keep', 'not created by k8ssandra-cli (managed by helm)'],
      ['k8ssandra-operator', 'keep', KEPT_NAMESPACE],
      ['k8ssandraclusters.k8ssandra.io', 'keep', KEPT_CRD],
      ['no-managers', 'keep', 'not created by k8ssandra-cli (managed by nobody)'],
    ]);
    expect(planRemoval([obj('CustomResourceDefinition', 'x', ['k8ssandra-cli'])], { deleteCrds: true })[0]!.action).toBe('delete');
  });

  it('deletes a ClientConfig before its Secret, webhooks before the rest, CRDs last', () => {
    const reg = obj('Secret', 'dp1-kubeconfig', ['k8ssandra-cli'], { annotations: { 'k8ssandra.io/context': 'dp1' } });
    expect([obj('ClientConfig', 'dp1', []), reg, obj('ValidatingWebhookConfiguration', 'w', []), obj('Deployment', 'd', []),
      obj('Secret', 'other', []), obj('CustomResourceDefinition', 'c', [])].map(phaseOf)).toEqual([0, 1, 2, 3, 3, 4]);
  });
});

describe('prompts and files', () => {
  it('a terminal that reports no width gets plain progress lines (a spinner would loop forever there)', async () => {
    const lines: string[] = [];
    const stream = { isTTY: true, columns: 0, write: (s: string) => { lines.push(s); return true; } } as any;
    const ui = (await import('../../src/ui/reporter.js')).createReporter({ stream, env: {} });
    expect(await ui.step('Resolve contexts', async () => 42)).toBe(42);
    expect(lines.join('')).toMatch(/^• Resolve contexts\n.* Resolve contexts \(0\.\ds\)\n$/);
  });

  const io = { stdin: { isTTY: false }, stdout: { isTTY: false }, stderr: {}, env: {} } as any;

  it('a destructive command without a terminal needs --yes; a constructive one goes ahead', async () => {
    await expect(confirmer({ output: 'text', input: true }, io, { destructive: true })('Delete?')).rejects.toMatchObject({ exit: 'usage' });
    expect(await confirmer({ output: 'text', input: true, yes: true }, io, { destructive: true })('Delete?')).toBe(true);
    expect(await confirmer({ output: 'text', input: true }, io)('Install?')).toBe(true);
  });

  it('cache files are written whole and private: 0600 in 0700 folders', () => {
    const root = path.join(mkdtempSync(path.join(tmpdir(), 'cache-')), 'k8ssandra');
    const file = path.join(root, 'parsed', 'x.json');
    writeCacheFile(file, '{}');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(path.dirname(file)).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(root).mode & 0o777).toString(8)).toBe('700');
  });
});
