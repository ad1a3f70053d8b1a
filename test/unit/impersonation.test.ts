// Impersonation (kubeconfig `as`, `as-uid`, `as-groups`, `as-user-extra`) sent as kubectl sends it,
// checked on the wire of a real TLS API server, over HTTP/2 and over HTTP/1.1.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/kube/client.js';
import { headerKeyEscape, impersonationHeaders } from '../../src/kube/impersonation.js';
import { contextOn, makePki, startApiServer, type Pki, type TestApiServer } from '../helpers/tls-api-server.js';

let pki: Pki;
const servers: TestApiServer[] = [];
beforeAll(() => { pki = makePki('impersonation-'); });
afterAll(() => {
  for (const s of servers) s.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

const user = { token: 'abc', as: 'jane', 'as-uid': '1234', 'as-groups': ['devs', 'ops'],
  'as-user-extra': { scopes: ['view', 'edit'], 'example.com/team': ['db'] } };

describe('impersonation', () => {
  for (const protocol of ['h2', 'http/1.1'] as const) {
    it(`sends Impersonate-User, -Uid, one Impersonate-Group line per group and Impersonate-Extra-<key> (${protocol})`, async () => {
      const server = await startApiServer(pki, protocol);
      servers.push(server);
      const client = await createClient(contextOn(server, pki, user));
      await client.request({ path: '/api' });
      const [r] = server.requests;
      expect(server.header(r!, 'authorization')).toEqual(['Bearer abc']);
      expect(server.header(r!, 'impersonate-user')).toEqual(['jane']);
      expect(server.header(r!, 'impersonate-uid')).toEqual(['1234']);
      expect(server.header(r!, 'impersonate-group')).toEqual(['devs', 'ops']);
      expect(server.header(r!, 'impersonate-extra-scopes')).toEqual(['view', 'edit']);
      expect(server.header(r!, 'impersonate-extra-example.com%2fteam')).toEqual(['db']);
    });
  }

  it('uses the header names of client-go (transport/round_trippers.go), and nothing without `as`', () => {
    expect(Object.keys(impersonationHeaders(user))).toEqual(['Impersonate-User', 'Impersonate-Uid', 'Impersonate-Group',
      'Impersonate-Extra-scopes', 'Impersonate-Extra-example.com%2Fteam']);
    expect(impersonationHeaders({ 'as-groups': ['devs'] })).toEqual({});
  });

  it('percent-encodes extra keys as client-go does: bytes that are not HTTP token characters, and "%"', () => {
    expect(headerKeyEscape('alphabetical')).toBe('alphabetical');
    expect(headerKeyEscape('alph4num3r1c')).toBe('alph4num3r1c');
    expect(headerKeyEscape('percent%20encoded')).toBe('percent%2520encoded');
    expect(headerKeyEscape('example.com/percent%20encoded')).toBe('example.com%2Fpercent%2520encoded');
    expect(headerKeyEscape('example.com/ᛒ')).toBe('example.com%2F%E1%9B%92');
    expect(headerKeyEscape("!#$&'*+-.^_`|~ ()")).toBe("!#$&'*+-.^_`|~%20%28%29");
  });
});
