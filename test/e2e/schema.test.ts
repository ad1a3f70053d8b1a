import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { clearOperatorObjects } from '../helpers/uninstalled.js';
import { bedInstallFlags, k8ssandra, operatorManifests, repoRoot } from '../helpers/cli.js';

// Every command's machine-readable report validates against the JSON Schema shipped in schema/.
const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema/report.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);
const valid = (doc: unknown) => (validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

describe('the report schema (schema/report.schema.json)', () => {
  beforeAll(async () => {
    const r = await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
    // The move's dry run below needs quiet clusters: no datacenter an earlier file left without status.
    await clearOperatorObjects(['cp', 'dp1', 'dp2'], 'k8ssandra-operator');
  });

  it('install, status, check (with its routability matrix), render, a failed add-dc, a move\'s dry run and export validate', async () => {
    const runs = {
      install: await k8ssandra(['install', '--contexts', 'cp,dp1,dp2', ...bedInstallFlags, '--dry-run', '-o', 'json', '-q']),
      status: await k8ssandra(['status', '--contexts', 'cp,dp1,dp2', '-o', 'json', '-q']),
      check: await k8ssandra(['check', '--contexts', 'cp,dp1,dp2', '-o', 'json', '-q']),
      render: await k8ssandra(['render', '--contexts', 'cp,dp1', '--out', path.join(repoRoot, '.testbed/render-schema'), '--manifests', operatorManifests, '-o', 'json', '-q']),
      'add-dc': await k8ssandra(['add-dc', '--cluster', 'nope', '--dc', 'dc9', '--context', 'dp1', '--control-plane', 'cp', '-o', 'json', '-q']),
      'move-control-plane': await k8ssandra(['move-control-plane', '--from', 'cp', '--to', 'dp1', '--dry-run', '--force', '-o', 'json', '-q']),
      export: await k8ssandra(['export', '--context', 'cp', '--file', path.join(repoRoot, '.testbed/schema-export.yaml'), '-o', 'json', '-q']),
    };
    for (const [command, r] of Object.entries(runs)) {
      const doc = JSON.parse(r.stdout);
      expect(valid(doc), command).toEqual([]);
      expect(doc.command).toBe(command);
      expect(doc.exitCode, command).toBe(r.exitCode);
    }
    expect(JSON.parse(runs.check.stdout).routability.pairs.length).toBe(3 * 2 * 4);
    expect(JSON.parse(runs['add-dc'].stdout).error).toBeDefined();
    const moved = JSON.parse(runs['move-control-plane'].stdout);
    expect(moved.move?.steps.length, moved.error?.message).toBeGreaterThan(0);
  });

  it('-o yaml is the same document', async () => {
    const r = await k8ssandra(['status', '--contexts', 'cp,dp1,dp2', '-o', 'yaml', '-q']);
    const doc = parse(r.stdout);
    expect(valid(doc)).toEqual([]);
    expect(doc.command).toBe('status');
  });

  it('the schema rejects a report that breaks it (the test can fail)', () => {
    expect(valid({ schemaVersion: 'k8ssandra.io/report/v1', command: 'x' })).not.toEqual([]);
    expect(valid({ schemaVersion: 'k8ssandra.io/report/v1', command: 'x', ok: true, exitCode: 9, dryRun: false, clusters: [],
      registrations: [], checks: [], summary: '', elapsedMs: 1 })[0]).toMatch(/exitCode/);
  });
});
