// k8ssandra status when a cluster runs the operator in data-plane mode but no ClientConfig in the control
// plane registers it: degraded (exit 5) with STATUS-DATA-PLANE-UNREGISTERED, and its hint repairs it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, unlessNoSuchType } from '../helpers/bed.js';
import { bedInstallFlags, k8ssandra, repoRoot } from '../helpers/cli.js';

// The reports of these runs must stay valid against the shipped JSON Schema.
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(path.join(repoRoot, 'schema/report.schema.json'), 'utf8')));
const schemaErrors = (doc: unknown) => (validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

const NS = 'k8ssandra-operator';
const status = () => k8ssandra(['status', '--contexts', 'cp,dp1,dp2', '-o', 'json']);
const install = () => k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '-q']);
const failed = (report: any) => report.checks.filter((c: any) => c.status === 'fail').map((c: any) => [c.id, c.context]);

describe('k8ssandra status: a data plane that is not registered', () => {
  beforeAll(async () => {
    // No K8ssandraCluster: a datacenter in dp2 would fail status on its own (STATUS-DC-NOT-READY) and hide the finding.
    await kubectl('cp', '-n', NS, 'delete', 'k8ssandraclusters', '--all', '--ignore-not-found').catch(unlessNoSuchType);
    const r = await install();
    expect(r.exitCode, r.stderr).toBe(0);
  });

  afterAll(async () => {
    if (!(await kubectl('cp', '-n', NS, 'get', 'clientconfig', 'dp2', '--ignore-not-found', '-o', 'name'))) {
      const r = await install();
      expect(r.exitCode, r.stderr).toBe(0);
    }
  });

  it('ClientConfig dp2 deleted: exit 5, dp2 named with a hint to register it; the hint repairs it', async () => {
    const before = await status();
    expect(before.exitCode, before.stdout).toBe(0);
    expect(before.json().checks.filter((c: any) => c.id === 'STATUS-DATA-PLANE-UNREGISTERED').map((c: any) => [c.context, c.status]))
      .toEqual([['dp1', 'pass'], ['dp2', 'pass']]);

    await kubectl('cp', '-n', NS, 'delete', 'clientconfig', 'dp2');
    const r = await status();
    expect(r.exitCode, r.stdout).toBe(5);
    const report = r.json();
    expect(report.ok).toBe(false);
    expect(schemaErrors(report)).toEqual([]);
    expect(failed(report)).toEqual([['STATUS-DATA-PLANE-UNREGISTERED', 'dp2']]);
    const f = report.checks.find((c: any) => c.id === 'STATUS-DATA-PLANE-UNREGISTERED' && c.status === 'fail');
    expect(f.message).toBe('dp2 runs the operator as a data plane, but no ClientConfig in cp registers it: the control plane cannot create or manage datacenters there');
    expect(f.hint).toBe('register it: k8ssandra register --contexts cp,dp2');
    expect(report.registrations.map((g: any) => g.clientConfig)).toEqual(['dp1']);

    // The hint, as written, repairs it.
    const fix = await k8ssandra(['register', '--contexts', 'cp,dp2', '-q']);
    expect(fix.exitCode, fix.stderr).toBe(0);
    const after = await status();
    expect(after.exitCode, after.stdout).toBe(0);
  });
});
