import { usageError } from '../errors.js';
import { parseDuration } from '../util/duration.js';

// Flag parsers: light on imports, since every command's start-up loads them.

/** `--contexts a,b,c` (repeatable, comma-separated); an empty entry is a usage error. */
export function parseContextList(values: string[] | string | undefined): string[] {
  const list = (Array.isArray(values) ? values : values ? [values] : []).flatMap((v) => v.split(','));
  if (list.some((c) => !c.trim())) throw usageError('--contexts has an empty entry', 'write --contexts a,b,c without spaces or trailing commas');
  return list.map((c) => c.trim());
}

export function durationFlag(flag: string, value: string): number {
  const s = parseDuration(value);
  if (!s) throw usageError(`${flag} ${value} is not a duration`, 'write it as 90s, 10m, 2h or 30d');
  return s;
}

/** `--api-server CTX=URL`, repeatable. */
export function parseApiServers(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    const ctx = v.slice(0, i), url = v.slice(i + 1);
    if (i < 1 || !/^https?:\/\/[^/]+/.test(url)) throw usageError(`--api-server ${v} is not CONTEXT=URL`, 'e.g. --api-server dp1=https://10.0.0.5:6443');
    out[ctx] = url.replace(/\/$/, '');
  }
  return out;
}
