import { existsSync } from 'node:fs';
import path from 'node:path';
import { CliError, usageError } from '../errors.js';
import type { KubeObject } from '../model/object.js';
import { cacheDir, writeCacheFile } from '../util/cache.js';
import { readManifestFile } from './parse.js';
import { DEFAULT_CERT_MANAGER_VERSION } from '../defaults.js';


/** `path`: the file given with --cert-manager-manifests (undefined: the official release). */
export interface CertManagerRelease { version: string; source: string; path?: string; objects: KubeObject[] }

/**
 * cert-manager's official single-file release, downloaded once and cached; `--cert-manager-manifests`
 * points at a local copy for air-gapped installs (and for the test bed).
 */
export async function loadCertManager(opts: { manifests?: string; version?: string; download?: (url: string) => Promise<string> }): Promise<CertManagerRelease> {
  const version = opts.version ?? DEFAULT_CERT_MANAGER_VERSION;
  let file: string;
  if (opts.manifests) {
    file = path.resolve(opts.manifests);
    if (!existsSync(file)) throw usageError(`--cert-manager-manifests ${opts.manifests} does not exist`, 'pass cert-manager.yaml of the release to install');
  } else {
    file = path.join(cacheDir(), 'cert-manager', version, 'cert-manager.yaml');
    if (!existsSync(file)) {
      const url = `https://github.com/cert-manager/cert-manager/releases/download/${version}/cert-manager.yaml`;
      writeCacheFile(file, await (opts.download ?? download)(url));
    }
  }
  const objects = readManifestFile(file);
  if (!objects.some((o) => o.kind === 'CustomResourceDefinition' && o.metadata.name === 'certificates.cert-manager.io')) {
    throw usageError(`${file} is not a cert-manager release (no certificates.cert-manager.io CRD)`, 'pass cert-manager.yaml of the release to install');
  }
  return { version, source: file, path: opts.manifests ? file : undefined, objects };
}

async function download(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.text();
  } catch (e) {
    throw new CliError('usage', `could not download cert-manager from ${url}`,
      { cause: e, hint: 'without network access, pass --cert-manager-manifests with the release file' });
  }
}
