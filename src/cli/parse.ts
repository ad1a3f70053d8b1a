import { usageError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import { DEFAULT_PROBE, type ProbeSettings } from '../defaults.js';

// Flag parsers: light on imports, since every command's start-up loads them.

/** `--contexts a,b,c` (repeatable, comma-separated); an empty entry is a usage error. */
export function parseContextList(values: string[] | string | undefined): string[] {
  const list = (Array.isArray(values) ? values : values ? [values] : []).flatMap((v) => v.split(','));
  if (list.some((c) => !c.trim())) throw usageError('--contexts has an empty entry', 'write --contexts a,b,c without spaces or trailing commas');
  return list.map((c) => c.trim());
}

/**
 * A duration flag in seconds, written as kubectl writes durations (1h30m, 1.5h, 500ms) or in days (30d).
 * 0 only where it means "no limit" (`--request-timeout 0`, as in kubectl).
 */
export function durationFlag(flag: string, value: string, opts: { zeroIsNone?: boolean } = {}): number {
  const s = parseDuration(value);
  if (s === undefined || (s === 0 && !opts.zeroIsNone)) throw usageError(`${flag} ${value} is not a duration`, 'write it as 90s, 10m, 1h30m, 500ms or 30d');
  return s;
}

/** A namespace must be a DNS label; checked before any request is sent. */
export function namespaceFlag(ns: string): string {
  if (ns.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) {
    throw usageError(`--namespace ${ns} is not a valid namespace name`, 'use at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit');
  }
  return ns;
}

/** The Kubernetes TokenRequest API refuses lifetimes under 10 minutes. */
const MIN_TOKEN_TTL_SECONDS = 600;

export function tokenTtlFlag(value: string): number {
  const s = Math.ceil(durationFlag('--token-ttl', value)); // the API takes whole seconds
  if (s < MIN_TOKEN_TTL_SECONDS) throw usageError(`--token-ttl ${value} is shorter than 10m, the shortest token Kubernetes issues`, 'e.g. --token-ttl 720h');
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

/** The routability probe's flags, shared by install and check. */
export function probeSettings(opts: { ports: string; probeImage: string; probeTimeout: string }): ProbeSettings {
  const ports = opts.ports.split(',').map((p) => p.trim());
  if (ports.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)) {
    throw usageError(`--ports ${opts.ports} is not a list of TCP ports`, 'e.g. --ports 7000,7001,9042,8080');
  }
  if (!opts.probeImage.trim()) throw usageError('--probe-image is empty', `e.g. --probe-image ${DEFAULT_PROBE.image}`);
  return { ports: [...new Set(ports.map(Number))], image: opts.probeImage.trim(), timeoutMs: durationFlag('--probe-timeout', opts.probeTimeout) * 1000 };
}
