import { version } from '../version.js';

// Go's names for Node's platforms and architectures, as client-go writes them (runtime.GOOS/GOARCH).
const OS: Record<string, string> = { win32: 'windows' };
const ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le', loong64: 'loong64' };

/** client-go's form of a User-Agent (`kubectl/v1.31.0 (linux/amd64)`): audit logs and API priority rules name the tool. */
export function formatUserAgent(v: string, platform: string = process.platform, arch: string = process.arch): string {
  return `k8ssandra/v${v} (${OS[platform] ?? platform}/${ARCH[arch] ?? arch})`;
}

let ours: string | undefined;
/** This tool's User-Agent; the package version is read on the first request. */
export const userAgent = (): string => (ours ??= formatUserAgent(version()));
