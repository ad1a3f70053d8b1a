// --request-timeout 0 means no per-request timeout, as in kubectl: a request is not given up at once.
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/kube/client.js';
import { apiServerPerFile, contextOn } from '../helpers/tls-api-server.js';

const { pki, server } = apiServerPerFile('request-timeout-');

describe('--request-timeout 0', () => {
  it('sends requests without a per-request timeout', async () => {
    const client = await createClient(contextOn(server(), pki(), { token: 't' }), { timeoutMs: 0, retries: 0 });
    expect(await Promise.all([client.request({ path: '/a' }), client.request({ path: '/b' })])).toEqual([{}, {}]);
  });
});
