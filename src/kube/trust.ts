import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { Credentials } from './auth.js';

// Where Go (crypto/x509, root_linux.go) looks for the system's roots: the first bundle file that
// exists, then every file of the certificate folders. SSL_CERT_FILE and SSL_CERT_DIR replace them.
const CERT_FILES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem', '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', '/etc/ssl/cert.pem'];
const CERT_DIRS = ['/etc/ssl/certs', '/etc/pki/tls/certs'];
const PEM = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

const readOr = (read: () => string) => { try { return read(); } catch { return ''; } };

/**
 * The system's root certificates as Go finds them on Linux and the BSDs. One difference: without
 * SSL_CERT_DIR the default folders are read only when no bundle file exists (on the distributions we
 * know they hold the bundle's certificates again, one file each: hundreds of reads for nothing).
 * Elsewhere (macOS, Windows) Node's view of the system store where it has one (Node >= 22.15).
 */
export function systemRoots(env: NodeJS.ProcessEnv, platform = process.platform): string[] {
  if (platform === 'darwin' || platform === 'win32') {
    const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
    return get ? readOr(() => get('system').join('\n')).match(PEM) ?? [] : [];
  }
  const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : CERT_FILES;
  let pem = '';
  for (const f of files) if ((pem = readOr(() => readFileSync(f, 'utf8')))) break;
  const dirs = env.SSL_CERT_DIR ? env.SSL_CERT_DIR.split(':').filter(Boolean) : pem ? [] : CERT_DIRS;
  for (const d of dirs) {
    let names: string[] = [];
    try { names = readdirSync(d); } catch { /* a folder that does not exist */ }
    for (const f of names) pem += '\n' + readOr(() => readFileSync(path.join(d, f), 'utf8'));
  }
  return [...new Set(pem.match(PEM) ?? [])];
}

/** Node's bundled roots plus the system's, per environment that names them: read once, when a context without a CA needs them. */
const rootsFor = new Map<string, string[]>();
function defaultRoots(env: NodeJS.ProcessEnv): string[] {
  const key = `${env.SSL_CERT_FILE ?? ''}\0${env.SSL_CERT_DIR ?? ''}`;
  let roots = rootsFor.get(key);
  if (!roots) rootsFor.set(key, roots = [...new Set([...tls.rootCertificates, ...systemRoots(env)])]);
  return roots;
}

/**
 * The TLS context of a cluster, trusted as client-go trusts it: the kubeconfig's CA alone when it has
 * one, else the system's roots (and Node's); any certificate given is an anchor, an intermediate too
 * (Go verifies against the pool it is given, not up to a self-signed root).
 */
export function secureContextFor(t: Credentials['tls'], env: NodeJS.ProcessEnv = {}): tls.SecureContext {
  const ca = t.ca ?? (t.rejectUnauthorized === false ? undefined : defaultRoots(env));
  return tls.createSecureContext({ ca, cert: t.cert, key: t.key, allowPartialTrustChain: true });
}
