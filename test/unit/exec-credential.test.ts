// The exec credential protocol's pure rules: kubeconfig exec sections, interactivity, the cluster
// handed to a plugin, and what a plugin's output must hold (client-go's checks).
import { describe, expect, it } from 'vitest';
import { clusterInfo, execConfig, interactivity, readExecCredential } from '../../src/kube/exec-credential.js';

const V1 = 'client.authentication.k8s.io/v1';
const out = (status: unknown, apiVersion = V1) => JSON.stringify({ apiVersion, kind: 'ExecCredential', status });

describe('exec credential protocol', () => {
  it('exec sections: v1 must name interactiveMode, v1beta1 defaults to IfAvailable, unknown versions are refused', () => {
    expect(execConfig({ apiVersion: V1, command: 'aws' })).toMatch(/needs interactiveMode/);
    expect(execConfig({ apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws' })).toMatchObject({ interactiveMode: 'IfAvailable' });
    expect(execConfig({ apiVersion: 'client.authentication.k8s.io/v1alpha1', command: 'aws' })).toMatch(/apiVersion/);
    expect(execConfig({ apiVersion: V1, command: 'aws', interactiveMode: 'Sometimes' })).toMatch(/interactiveMode "Sometimes"/);
    expect(execConfig({ apiVersion: V1, interactiveMode: 'Never' })).toMatch(/no command/);
    expect(execConfig({ apiVersion: V1, command: 'aws', interactiveMode: 'Never', env: [{ value: 'x' }] })).toMatch(/env entry without a name/);
  });

  it('interactivity as client-go decides it', () => {
    expect(interactivity('Never', { terminal: true })).toBe(false);
    expect(interactivity('IfAvailable', { terminal: true })).toBe(true);
    expect(interactivity('IfAvailable', { terminal: true, unavailable: '--no-input' })).toBe(false);
    expect(interactivity('IfAvailable', { terminal: false })).toBe(false);
    expect(interactivity('Always', { terminal: true })).toBe(true);
    expect(interactivity('Always', { terminal: false })).toMatch(/not one/);
    expect(interactivity('Always', { terminal: true, unavailable: '--no-input was given' })).toMatch(/unavailable: --no-input was given/);
  });

  it('the cluster a plugin is told about, with proxy-url and disable-compression', () => {
    expect(clusterInfo({ server: 'https://k', 'proxy-url': 'http://proxy:3128', 'disable-compression': true, 'insecure-skip-tls-verify': false }, Buffer.from('CA')))
      .toEqual({ server: 'https://k', 'proxy-url': 'http://proxy:3128', 'disable-compression': true, 'certificate-authority-data': 'Q0E=' });
  });

  it('a plugin output must be an ExecCredential of the configured version with a token or a certificate and key', () => {
    expect(readExecCredential(out({ token: 't', expirationTimestamp: '2030-01-01T00:00:00Z' }), V1)).toEqual({ token: 't', expiresAt: Date.parse('2030-01-01T00:00:00Z') });
    expect(readExecCredential('login required', V1)).toMatch(/not an ExecCredential/);
    expect(readExecCredential(out({ token: 't' }, 'client.authentication.k8s.io/v1beta1'), V1)).toMatch(/configured to use API version/);
    expect(readExecCredential(JSON.stringify({ apiVersion: V1, kind: 'ExecCredential' }), V1)).toMatch(/no status/);
    expect(readExecCredential(out({}), V1)).toMatch(/neither a token/);
    expect(readExecCredential(out({ clientCertificateData: 'C' }), V1)).toMatch(/without its key/);
    expect(readExecCredential(out({ token: 't', expirationTimestamp: 'soon' }), V1)).toMatch(/not a time/);
  });
});
