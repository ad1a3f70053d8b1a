import net from 'node:net';
import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { isLoopbackHost } from '../util/cidr.js';

/** The proxy settings of the environment, as Go reads them (golang.org/x/net/http/httpproxy). */
export interface ProxyEnv {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
  /** A CGI environment (REQUEST_METHOD set), where HTTP_PROXY may come from a request header. */
  cgi?: boolean;
}

// Logic ported from golang.org/x/net/http/httpproxy (BSD licence), the rules every Go client, kubectl
// included, follows; test/unit/proxy-choice.test.ts holds its test table.

/** Upper case first, then lower case, the first one set wins. */
export function proxyEnv(env: NodeJS.ProcessEnv): ProxyEnv {
  return { httpProxy: env.HTTP_PROXY || env.http_proxy || undefined, httpsProxy: env.HTTPS_PROXY || env.https_proxy || undefined,
    noProxy: env.NO_PROXY || env.no_proxy || undefined, cgi: !!env.REQUEST_METHOD };
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443', 'socks5:': '1080' };
const parse = (s: string) => { try { return new URL(s); } catch { return undefined; } };
const bare = (host: string) => host.replace(/^\[|\]$/g, '');
/** An IP in one spelling (an IPv4-mapped IPv6 address as IPv4), or undefined for a name. */
const ipOf = (host: string) => (net.isIP(host) ? ipaddr.process(host) : undefined);

/** A proxy setting as Go reads it: without a scheme (`proxy:3128`, `localhost`) it is an http proxy. */
export function parseProxy(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  const u = parse(value);
  return u && u.protocol && u.host ? u : parse(`http://${value}`) ?? u;
}

/** Go's net.SplitHostPort for NO_PROXY entries: `host:port` or `[v6]:port`; undefined without a port. */
function splitHostPort(s: string): [string, string] | undefined {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(s) ?? /^([^:[\]]*):([^:]*)$/.exec(s);
  return m ? [m[1]!, m[2]!] : undefined;
}

type Match = (host: string, port: string, ip: ipaddr.IPv4 | ipaddr.IPv6 | undefined) => boolean;

/** NO_PROXY as matchers: `*`, CIDRs, IPs (with a port or not), domains (`.x` and `*.x`: subdomains; `x`: x and subdomains). */
function noProxyMatchers(noProxy: string): Match[] {
  const matchers: Match[] = [];
  for (const raw of noProxy.split(',')) {
    const p = raw.trim().toLowerCase();
    if (!p) continue;
    if (p === '*') return [() => true];
    if (p.includes('/')) {
      try {
        const [range, bits] = ipaddr.parseCIDR(p);
        matchers.push((_, __, ip) => !!ip && ip.kind() === range.kind() && ip.match(range, bits));
        continue;
      } catch { /* not a CIDR: read on */ }
    }
    const split = splitHostPort(p);
    if (split && !split[0]) continue;
    let [host, port] = split ?? [p, ''];
    const ip = ipOf(host);
    if (ip) {
      const spelled = ip.toNormalizedString();
      matchers.push((_, pt, other) => !!other && other.toNormalizedString() === spelled && (!port || port === pt));
      continue;
    }
    if (host.startsWith('*.')) host = host.slice(1);
    const exact = !host.startsWith('.');
    if (exact) host = `.${host}`;
    host = domainToASCII(host.slice(1)) ? `.${domainToASCII(host.slice(1))}` : host;
    matchers.push((h, pt, other) => !other && (h.endsWith(host) || (exact && h === host.slice(1))) && (!port || port === pt));
  }
  return matchers;
}

/** Whether a request to host:port goes through the proxy: never for loopback, never for what NO_PROXY names. */
export function useProxy(noProxy: string | undefined, host: string, port: string): boolean {
  const h = bare(host).trim().toLowerCase();
  if (!h) return true;
  if (isLoopbackHost(h)) return false;
  const ip = ipOf(h);
  return !noProxyMatchers(noProxy ?? '').some((m) => m(h, port, ip));
}

/**
 * The proxy the environment names for a URL (HTTPS_PROXY for https, HTTP_PROXY for http), or undefined
 * for a direct connection. Throws where Go refuses: HTTP_PROXY in a CGI environment.
 */
export function proxyFromEnv(e: ProxyEnv, target: URL): URL | undefined {
  const proxy = target.protocol === 'https:' ? parseProxy(e.httpsProxy) : target.protocol === 'http:' ? parseProxy(e.httpProxy) : undefined;
  if (!proxy) return undefined;
  if (target.protocol === 'http:' && e.cgi) throw new Error('refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy');
  return useProxy(e.noProxy, target.hostname, target.port || DEFAULT_PORT[target.protocol]!) ? proxy : undefined;
}

/** How client-go reaches a cluster: the kubeconfig's proxy-url, else the environment's proxy for its server. */
export function proxyForCluster(proxyUrl: unknown, server: string, env: NodeJS.ProcessEnv | undefined): URL | undefined {
  if (typeof proxyUrl === 'string' && proxyUrl) return new URL(proxyUrl);
  return env ? proxyFromEnv(proxyEnv(env), new URL(server)) : undefined;
}
