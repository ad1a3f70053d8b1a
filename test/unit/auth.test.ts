import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { credentialSource } from '../../src/kube/auth.js';
import type { ResolvedContext } from '../../src/kube/kubeconfig.js';

const ctx = (cluster: object, user: object): ResolvedContext => ({
  name: 'c', clusterName: 'c', server: 'https://127.0.0.1:6443',
  kubeconfig: { apiVersion: 'v1', kind: 'Config', 'current-context': 'c', contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }], users: [{ name: 'u', user }] },
});
const b64 = (s: string) => Buffer.from(s).toString('base64');
const bound = { timeoutMs: 1000, deadline: Infinity };
const staticCredentials = (c: ResolvedContext) => credentialSource(c).current(bound);

describe('credentials read without client-node', () => {
  it('a bearer token, inline or from a file, and the cluster CA', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'auth-'));
    writeFileSync(path.join(dir, 'token'), 'from-file\n');
    writeFileSync(path.join(dir, 'ca.crt'), 'CA FILE');
    expect(await staticCredentials(ctx({ 'certificate-authority-data': b64('CA') }, { token: 'abc' }))).toMatchObject({
      headers: { Authorization: 'Bearer abc' }, tls: { ca: Buffer.from('CA'), rejectUnauthorized: true } });
    expect(await staticCredentials(ctx({ 'certificate-authority': path.join(dir, 'ca.crt') }, { tokenFile: path.join(dir, 'token') }))).toMatchObject({
      headers: { Authorization: 'Bearer from-file' }, tls: { ca: Buffer.from('CA FILE') } });
  });

  it('client certificates, basic auth, insecure-skip-tls-verify and tls-server-name', async () => {
    const c = await staticCredentials(ctx({ 'insecure-skip-tls-verify': true, 'tls-server-name': 'api.internal' },
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') }));
    expect(c.headers).toEqual({});
    expect(c.tls).toMatchObject({ cert: Buffer.from('CERT'), key: Buffer.from('KEY'), rejectUnauthorized: false, servername: 'api.internal' });
    expect((await staticCredentials(ctx({}, { username: 'admin', password: 'pw' }))).headers.Authorization).toBe(`Basic ${b64('admin:pw')}`);
  });

  it('the legacy auth-provider section still goes through client-node (an oidc id-token that has not expired: no network)', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = [part({ alg: 'RS256' }), part({ iss: 'https://idp.invalid', exp: Math.floor(Date.now() / 1000) + 3600 }), 'c2ln'].join('.');
    const c = await staticCredentials(ctx({}, { 'auth-provider': { name: 'oidc', config: { 'id-token': jwt, 'idp-issuer-url': 'https://idp.invalid', 'client-id': 'k' } } }));
    expect(c.headers.Authorization).toBe(`Bearer ${jwt}`);
  });

  it('a token or client certificate in the kubeconfig wins over an exec plugin (kubectl runs none then)', async () => {
    const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin', interactiveMode: 'Never' };
    expect((await staticCredentials(ctx({}, { token: 'abc', exec }))).headers).toEqual({ Authorization: 'Bearer abc' });
  });

  it('reads a cluster with proxy-url or disable-compression itself (the connection handles them)', async () => {
    expect((await staticCredentials(ctx({ 'proxy-url': 'socks5://proxy:1080', 'disable-compression': true }, { token: 't' }))).headers)
      .toEqual({ Authorization: 'Bearer t' });
  });
});
