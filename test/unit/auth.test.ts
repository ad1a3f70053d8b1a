import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/kube/auth.js';
import type { ResolvedContext } from '../../src/kube/kubeconfig.js';

const ctx = (cluster: object, user: object): ResolvedContext => ({
  name: 'c', clusterName: 'c', server: 'https://127.0.0.1:6443',
  kubeconfig: { apiVersion: 'v1', kind: 'Config', 'current-context': 'c', contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }], users: [{ name: 'u', user }] },
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentials read without client-node', () => {
  it('a bearer token, inline or from a file, and the cluster CA', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'auth-'));
    writeFileSync(path.join(dir, 'token'), 'from-file\n');
    writeFileSync(path.join(dir, 'ca.crt'), 'CA FILE');
    expect(staticCredentials(ctx({ 'certificate-authority-data': b64('CA') }, { token: 'abc' }))).toMatchObject({
      headers: { Authorization: 'Bearer abc' }, tls: { ca: Buffer.from('CA'), rejectUnauthorized: true } });
    expect(staticCredentials(ctx({ 'certificate-authority': path.join(dir, 'ca.crt') }, { tokenFile: path.join(dir, 'token') }))).toMatchObject({
      headers: { Authorization: 'Bearer from-file' }, tls: { ca: Buffer.from('CA FILE') } });
  });

  it('client certificates, basic auth, insecure-skip-tls-verify and tls-server-name', () => {
    const c = staticCredentials(ctx({ 'insecure-skip-tls-verify': true, 'tls-server-name': 'api.internal' },
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }))!;
    expect(c.headers).toEqual({});
    expect(c.tls).toMatchObject({ cert: Buffer.from('CERT'), key: Buffer.from('KEY'), rejectUnauthorized: false, servername: 'api.internal' });
    expect(staticCredentials(ctx({}, { username: 'admin', password: 'pw' }))!.headers.Authorization).toBe(`Basic ${b64('admin:pw')}`);
  });

  it('leaves exec plugins, auth providers and impersonation to client-node', () => {
    expect(staticCredentials(ctx({}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }))).toBeUndefined();
    expect(staticCredentials(ctx({}, { 'auth-provider': { name: 'oidc' } }))).toBeUndefined();
    expect(staticCredentials(ctx({}, { token: 't', as: 'someone' }))).toBeUndefined();
  });

  it('reads a cluster with proxy-url or disable-compression itself (the connection handles them)', () => {
    expect(staticCredentials(ctx({ 'proxy-url': 'socks5://proxy:1080', 'disable-compression': true }, { token: 't' }))!.headers)
      .toEqual({ Authorization: 'Bearer t' });
  });
});
