// The bed's settings: chosen by `up`'s flags when the bed is made, then kept in .testbed/settings.json
// for the bed's lifetime, so that every later `up` (which repairs and recreates clusters) and `status`
// use the same. Changing one needs `down` first: the running clusters were made with the old one.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { settingsPath, stateDir } from './paths.js';

/** The Kubernetes version of a bed made without --k8s-version (binaries in ~/.cache/k8ssandra-testbed/<version>/bin). */
export const DEFAULT_K8S_VERSION = 'v1.34.4';

export interface BedSettings {
  /** Version of kube-apiserver, kube-controller-manager and kube-scheduler (and kwokctl's kubeVersion). */
  k8sVersion: string;
  /** kube-apiserver --service-account-max-token-expiration (a Go duration such as 24h); absent: not capped. */
  maxTokenTtl?: string;
}

export const DEFAULT_SETTINGS: BedSettings = { k8sVersion: DEFAULT_K8S_VERSION };

/** kube-apiserver accepts a cap between 1 hour and 2^32 seconds. */
const MIN_TTL_S = 3600;
const MAX_TTL_S = 2 ** 32;

function checkK8sVersion(value: string): void {
  if (!/^v1\.\d+\.\d+$/.test(value)) throw new Error(`--k8s-version must be a Kubernetes release such as ${DEFAULT_K8S_VERSION}, not ${value}`);
}

/** Seconds of a Go duration made of hours, minutes and seconds (24h, 90m, 1h30m); undefined when it is not one. */
function durationSeconds(value: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!value || !m) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

function checkMaxTokenTtl(value: string): void {
  const s = durationSeconds(value);
  if (s === undefined) throw new Error(`--max-token-ttl must be a duration in h, m and s such as 24h or 48h, not ${value}`);
  if (s < MIN_TTL_S || s > MAX_TTL_S) throw new Error(`--max-token-ttl must be between 1h and ${MAX_TTL_S}s (kube-apiserver's bounds), not ${value}`);
}

/** What `up` and `status` print about the settings. */
export function describeSettings(s: BedSettings): string {
  return `Kubernetes ${s.k8sVersion}, service-account tokens ${s.maxTokenTtl ? `capped at ${s.maxTokenTtl} (--max-token-ttl)` : 'not capped'}`;
}

export function readSettings(path = settingsPath): BedSettings | undefined {
  if (!existsSync(path)) return undefined;
  const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<BedSettings>;
  return { ...DEFAULT_SETTINGS, ...data };
}

export function writeSettings(s: BedSettings, path = settingsPath): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** The running bed's settings (a bed from before settings were recorded was made with the defaults). */
export function bedSettings(): BedSettings {
  return readSettings() ?? DEFAULT_SETTINGS;
}

/**
 * The settings `up` uses: for a new bed (`recorded` undefined) what was asked, over the defaults; for a
 * bed that exists, what it was made with. Asking an existing bed for something else is an error with
 * the way out, never a silent mix of clusters made two ways.
 */
export function resolveSettings(asked: Partial<BedSettings>, recorded: BedSettings | undefined): BedSettings {
  if (asked.k8sVersion !== undefined) checkK8sVersion(asked.k8sVersion);
  if (asked.maxTokenTtl !== undefined) checkMaxTokenTtl(asked.maxTokenTtl);
  if (!recorded) return { ...DEFAULT_SETTINGS, ...Object.fromEntries(Object.entries(asked).filter(([, v]) => v !== undefined)) };
  const conflicts = [];
  if (asked.k8sVersion !== undefined && asked.k8sVersion !== recorded.k8sVersion) {
    conflicts.push(`Kubernetes ${recorded.k8sVersion} (asked: --k8s-version ${asked.k8sVersion})`);
  }
  if (asked.maxTokenTtl !== undefined && asked.maxTokenTtl !== recorded.maxTokenTtl) {
    conflicts.push(`${recorded.maxTokenTtl ? `--max-token-ttl ${recorded.maxTokenTtl}` : 'no --max-token-ttl'} (asked: --max-token-ttl ${asked.maxTokenTtl})`);
  }
  if (conflicts.length) throw new Error(`the running bed was made with ${conflicts.join(' and ')}; run \`npm run testbed -- down\` first to make it again`);
  return recorded;
}
