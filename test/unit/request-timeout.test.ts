// --request-timeout 0 means no per-request timeout, as in kubectl: a request is not given up at once.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/kube/client.js';
import { makePki, startApiServer, type Pki, type TestApiServer } from '../helpers/tls-api-server.js';

let pki: Pki;
let server: TestApiServer;
beforeAll(async () => {
  pki = makePki('request-timeout-');
  server = await startApiServer(pki);
});
afterAll(() => {
  server?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

describe('--request-timeout 0', () => {
  it('sends requests without a per-request timeout', async () => {
    const client = await createClient({ name: 'c', clusterName: 'k', server: server.url, kubeconfig: {
      clusters: [{ name: 'k', cluster: { server: server.url, 'certificate-authority': pki.file('ca.crt') } }], users: [{ name: 'u', user: { token: 't' } }] } },
    { timeoutMs: 0, retries: 0 });
    expect(await Promise.all([client.request({ path: '/a' }), client.request({ path: '/b' })])).toEqual([{}, {}]);
  });
});
