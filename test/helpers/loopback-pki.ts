// Certificates for tests against TLS servers on loopback, made with openssl in a temporary folder:
// a CA whose server certificate is valid for 127.0.0.1, localhost and apiserver.invalid (a name no DNS
// knows: only a proxy that routes it reaches the server), and a chain root -> intermediate -> server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Pki {
  dir: string;
  file(name: string): string;
  pem(name: string): Buffer;
  b64(name: string): string;
  remove(): void;
}

/** EC keys: quick to make on a busy machine. */
export function makePki(): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'pki-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) => openssl('req', '-x509', ...key, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const signed = (name: string, by: string, ext: string) => {
    openssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:apiserver.invalid';
  ca('ca');
  signed('server', 'ca', serverExt);
  ca('root');
  signed('intermediate', 'root', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign');
  signed('leaf', 'intermediate', serverExt);
  return {
    dir, file,
    pem: (name) => readFileSync(file(name)),
    b64: (name) => readFileSync(file(name)).toString('base64'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
