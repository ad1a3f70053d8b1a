// The client's connections to one API server: a bounded number, and all but the first resume the first
// one's TLS session (no full handshake with the client certificate's signature each). Against a real
// TLS server on loopback that asks for client certificates, as kube-apiserver does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, MAX_CONNECTIONS } from '../../src/kube/client.js';

const dir = mkdtempSync(path.join(tmpdir(), 'client-tls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

describe('connections to one API server', () => {
  let server: https.Server;
  let url: string;
  const handshakes: { resumed: boolean }[] = [];

  beforeAll(async () => {
    // A CA, a server certificate for 127.0.0.1 and a client certificate, as a kubeconfig holds them.
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
    for (const [name, subj, ext] of [['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'], ['client', '/CN=admin/O=system:masters', 'extendedKeyUsage=clientAuth']] as const) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
      writeFileSync(file(`${name}.ext`), `${ext}\n`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
    }
    server = https.createServer({ key: readFileSync(file('server.key')), cert: readFileSync(file('server.crt')), ca: readFileSync(file('ca.crt')),
      requestCert: true, rejectUnauthorized: true }, (req, res) => {
      // Slow enough that parallel requests overlap.
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ path: req.url })), 20);
    });
    server.on('secureConnection', (s: TLSSocket) => handshakes.push({ resumed: s.isSessionReused() }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`opens at most ${MAX_CONNECTIONS}, and every one after the first resumes its TLS session`, async () => {
    const b64 = (name: string) => readFileSync(file(name)).toString('base64');
    const client = await createClient({ name: 't', clusterName: 't', server: url, kubeconfig: {
      clusters: [{ name: 't', cluster: { server: url, 'certificate-authority-data': b64('ca.crt') } }],
      users: [{ name: 't', user: { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') } }],
    } });
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => client.request<{ path: string }>({ path: `/api/${i}` })));
    expect(answers.map((a) => a.path)).toEqual(Array.from({ length: 24 }, (_, i) => `/api/${i}`));
    expect(handshakes.length).toBeGreaterThan(1);
    expect(handshakes.length).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(handshakes[0]!.resumed).toBe(false);
    expect(handshakes.slice(1).every((h) => h.resumed)).toBe(true);
  });
});
