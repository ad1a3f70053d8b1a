import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { installRecordObject, OFFICIAL, parseInstallRecord, recordedCertManager, recordedOperatorSource, type InstallRecord } from '../../src/plan/install-record.js';

const dir = mkdtempSync(path.join(tmpdir(), 'record-'));
const here = path.join(dir, 'release');
writeFileSync(here, '');
const gone = path.join(dir, 'gone');
const base: InstallRecord = { tool: '0.1.0', role: 'control-plane', clusterScoped: false, operatorVersion: 'v1.32.5', operatorSource: here };

describe('the install record', () => {
  it('round-trips through its ConfigMap, as plain strings, without empty fields', () => {
    const cm = installRecordObject('ns', { ...base, certManagerVersion: 'v1.18.5', certManagerSource: OFFICIAL });
    expect(cm).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'k8ssandra-install', namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'k8ssandra-cli' } } });
    expect(cm.data).toEqual({ tool: '0.1.0', role: 'control-plane', clusterScoped: 'false', operatorVersion: 'v1.32.5', operatorSource: here,
      certManagerVersion: 'v1.18.5', certManagerSource: 'official' });
    expect(parseInstallRecord(cm)).toEqual({ ...base, certManagerVersion: 'v1.18.5', certManagerSource: OFFICIAL });
    expect(parseInstallRecord(installRecordObject('ns', base))?.certManagerVersion).toBeUndefined();
  });

  it('is not a record when fields are missing or wrong', () => {
    expect(parseInstallRecord(null)).toBeUndefined();
    expect(parseInstallRecord({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { operatorVersion: 'v1', operatorSource: here, role: 'both' } })).toBeUndefined();
  });

  it('names the recorded release to load again: same variant, asked version, a file still here, first record first', () => {
    const dp = { ...base, role: 'data-plane' as const, operatorSource: gone };
    expect(recordedOperatorSource([base, dp], { clusterScoped: false })).toEqual({ path: here, version: 'v1.32.5' });
    expect(recordedOperatorSource([dp, base], { clusterScoped: false })).toEqual({ path: here, version: 'v1.32.5' }); // gone is skipped
    expect(recordedOperatorSource([base], { clusterScoped: true })).toBeUndefined();
    expect(recordedOperatorSource([base], { clusterScoped: false, version: 'v1.29.1' })).toBeUndefined();
    expect(recordedOperatorSource([{ ...base, operatorSource: OFFICIAL }], { clusterScoped: false })).toBeUndefined();
    expect(recordedOperatorSource([{ ...base, operatorSource: 'relative/path' }], { clusterScoped: false })).toBeUndefined();
  });

  it('names the recorded cert-manager: a file still here, else the recorded version of the official release', () => {
    expect(recordedCertManager([base])).toBeUndefined();
    expect(recordedCertManager([{ ...base, certManagerVersion: 'v1.17.0', certManagerSource: gone }, { ...base, certManagerVersion: 'v1.18.5', certManagerSource: here }]))
      .toEqual({ path: here, version: 'v1.18.5' });
    expect(recordedCertManager([{ ...base, certManagerVersion: 'v1.17.0', certManagerSource: OFFICIAL }])).toEqual({ version: 'v1.17.0' });
  });
});
