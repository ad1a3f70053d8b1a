// A real TLS API server on loopback for the transport's tests: certificates made with openssl (a CA,
// a server certificate for 127.0.0.1 and the name kubernetes, client certificates by common name), and a server that records
// every request (its header lines as sent, the client certificate's CN) and every connection.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll } from 'vitest';
import type { ResolvedContext } from '../../src/kube/kubeconfig.js';

export interface Pki {
  dir: string;
  file(name: string): string;
  /** The PEM of `<name>.crt` / `<name>.key`. */
  pem(name: string): string;
  /** Makes `<name>.crt` and `<name>.key`: a client certificate with this common name. */
  client(name: string, cn: string): void;
}

export function makePki(prefix = 'tls-'): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const sign = (name: string, subj: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
  sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:kubernetes');
  return { dir, file, pem: (name) => readFileSync(file(name), 'utf8'), client: (name, cn) => sign(name, `/CN=${cn}`, 'extendedKeyUsage=clientAuth') };
}

export interface Seen {
  path: string;
  /** Header lines as sent, names lower-cased: a header sent twice is here twice. */
  lines: [string, string][];
  /** The client certificate's common name, if one was sent. */
  cn?: string;
}

export interface TestApiServer {
  url: string;
  requests: Seen[];
  /** The client certificate CN of each connection, in order ('' without one). */
  connections: string[];
  /** Answers a request: 200 with `{}` unless it says otherwise. */
  answer: (r: Seen) => { status: number; body?: unknown };
  header(r: Seen, name: string): string[];
  close(): void;
}

const peerCn = (s: TLSSocket) => String(s.getPeerCertificate()?.subject?.CN ?? '');

/**
 * Starts a server that asks for client certificates (requires one signed by the CA when `requireClientCert`,
 * as kube-apiserver does for a certificate user); HTTP/2, or HTTP/1.1 only.
 */
export async function startApiServer(pki: Pki, protocol: 'h2' | 'http/1.1' = 'h2', requireClientCert = false): Promise<TestApiServer> {
  const options = { key: readFileSync(pki.file('server.key')), cert: readFileSync(pki.file('server.crt')), ca: readFileSync(pki.file('ca.crt')),
    requestCert: true, rejectUnauthorized: requireClientCert };
  const s: Omit<TestApiServer, 'url' | 'close'> = {
    requests: [], connections: [], answer: () => ({ status: 200 }),
    header: (r, name) => r.lines.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v),
  };
  const pairs = (raw: string[]) => Array.from({ length: raw.length / 2 }, (_, i) => [raw[2 * i]!.toLowerCase(), raw[2 * i + 1]!] as [string, string]);
  const record = (p: string, lines: [string, string][], socket: TLSSocket) => {
    const seen = { path: p, lines, cn: peerCn(socket) || undefined };
    s.requests.push(seen);
    const a = s.answer(seen);
    return { status: a.status, body: JSON.stringify(a.body ?? (a.status === 401 ? { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' } : {})) };
  };
  let server: http2.Http2SecureServer | https.Server;
  if (protocol === 'h2') {
    const h2 = http2.createSecureServer(options);
    h2.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      stream.on('error', () => {});
      const a = record(String(headers[':path']), pairs(raw).filter(([k]) => !k.startsWith(':')), stream.session!.socket as TLSSocket);
      stream.respond({ ':status': a.status, 'content-type': 'application/json' });
      stream.end(a.body);
    });
    server = h2;
  } else {
    server = https.createServer(options, (req, res) => {
      req.resume();
      const a = record(req.url ?? '', pairs(req.rawHeaders), req.socket as TLSSocket);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  }
  server.on('secureConnection', (socket: TLSSocket) => s.connections.push(peerCn(socket)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(s, { url, close: () => server.close() }) as TestApiServer;
}

/** A PKI and an API server for the tests of one file: made before them, removed after. */
export function apiServerPerFile(prefix: string, protocol: 'h2' | 'http/1.1' = 'h2'): { pki: () => Pki; server: () => TestApiServer } {
  let pki: Pki | undefined;
  let server: TestApiServer | undefined;
  beforeAll(async () => {
    pki = makePki(prefix);
    server = await startApiServer(pki, protocol);
  });
  afterAll(() => {
    server?.close();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });
  return { pki: () => pki!, server: () => server! };
}

/** A context on `server` (trusting the PKI's CA) with this kubeconfig user. */
export const contextOn = (server: TestApiServer, pki: Pki, user: object, name = 'c'): ResolvedContext => ({
  name, clusterName: 'k', server: server.url, kubeconfig: {
    clusters: [{ name: 'k', cluster: { server: server.url, 'certificate-authority': pki.file('ca.crt') } }], users: [{ name: 'u', user }] } });
