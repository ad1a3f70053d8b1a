import { readFileSync } from 'node:fs';
import { packageRoot } from './paths.js';

/** The package's version, from its package.json. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8')) as { version: string };
  return pkg.version;
}
