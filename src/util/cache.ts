import { homedir } from 'node:os';
import path from 'node:path';

/** Where downloads and parsed releases are cached: $K8SSANDRA_CACHE_DIR, else $XDG_CACHE_HOME/k8ssandra. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K8SSANDRA_CACHE_DIR) return path.resolve(env.K8SSANDRA_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache'), 'k8ssandra');
}
