import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { usageError } from '../errors.js';
import type { KubeObject } from '../model/object.js';
import { cacheDir, writeCacheFile } from '../util/cache.js';

/**
 * Reads a multi-document YAML file into objects. Parsing the 4 MB operator release takes about a
 * second, so the parsed form is cached, keyed by the file's path, size and modification time (not by
 * its content: reading and hashing two release files cost a no-op re-run more than the rest of it).
 */
export function readManifestFile(file: string): KubeObject[] {
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch {
    throw usageError(`cannot read manifests file ${file}`, 'check the path given to --manifests');
  }
  const key = createHash('sha256').update(`${path.resolve(file)}\0${stat.size}\0${stat.mtimeMs}\0${stat.ino}`).digest('hex').slice(0, 32);
  const cached = path.join(cacheDir(), 'parsed', `${key}.json`);
  if (existsSync(cached)) {
    try {
      return JSON.parse(readFileSync(cached, 'utf8')) as KubeObject[];
    } catch { /* a broken cache entry is parsed again below */ }
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw usageError(`cannot read manifests file ${file}`, 'check the path given to --manifests');
  }
  const docs: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      throw usageError(`${file} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, 'pass a rendered manifest file');
    }
    const obj = doc.toJS() as KubeObject | null;
    if (obj == null) continue;
    if (typeof obj !== 'object' || !obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw usageError(`${file} holds a document that is not a Kubernetes object`, 'pass rendered manifests (kubectl kustomize output)');
    }
    docs.push(obj);
  }
  try {
    writeCacheFile(cached, JSON.stringify(docs));
  } catch { /* caching is an optimisation only */ }
  return docs;
}
