import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where downloads and parsed releases are cached: $K8SSANDRA_CACHE_DIR, else $XDG_CACHE_HOME/k8ssandra. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K8SSANDRA_CACHE_DIR) return path.resolve(env.K8SSANDRA_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache'), 'k8ssandra');
}

/**
 * Writes a file of the cache readable by its owner only (0600, folders 0700), atomically (a temporary
 * file renamed into place), so that a command killed half-way never leaves half a file to be read.
 */
export function writeCacheFile(file: string, text: string): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
