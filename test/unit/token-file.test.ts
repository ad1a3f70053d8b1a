// A kubeconfig tokenFile is read again after a period (client-go: 1 minute), so that a rotated
// projected service-account token is picked up; checked on the wire of a real TLS API server.
import { rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/kube/client.js';
import { TOKEN_FILE_PERIOD_MS, tokenFileReader } from '../../src/kube/token-file.js';
import { apiServerPerFile, contextOn } from '../helpers/tls-api-server.js';

const { pki, server } = apiServerPerFile('token-file-');

describe('tokenFile', () => {
  it('a rotated token is sent once the period has passed, the old one until then', async () => {
    const token = pki().file('token');
    writeFileSync(token, 'first\n');
    const client = await createClient(contextOn(server(), pki(), { tokenFile: token }), { auth: { tokenFilePeriodMs: 300 } });
    await client.request({ path: '/1' });
    writeFileSync(token, 'second\n');
    await client.request({ path: '/2' });
    await new Promise((r) => setTimeout(r, 350));
    await client.request({ path: '/3' });
    expect(server().requests.map((r) => server().header(r, 'authorization')[0])).toEqual(['Bearer first', 'Bearer first', 'Bearer second']);
  });

  it('keeps the last token when a re-read fails; the period is client-go\'s minute', () => {
    const file = pki().file('token2');
    writeFileSync(file, 't1');
    let now = 0;
    const read = tokenFileReader(file, 1000, () => now);
    expect(read()).toBe('t1');
    rmSync(file);
    now = 5000;
    expect(read()).toBe('t1');
    expect(TOKEN_FILE_PERIOD_MS).toBe(60_000);
  });
});
