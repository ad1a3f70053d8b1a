import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';

/** How to open a tunnel: its time, its interruption, and the TLS settings for an https proxy. */
export interface DialOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** An https proxy is checked as client-go checks it: with the cluster's TLS settings. */
  tls?: Pick<tls.ConnectionOptions, 'secureContext' | 'rejectUnauthorized'>;
}

// Go's default ports of a proxy URL without one (golang.org/x/net/http/httpproxy).
const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443, 'socks5:': 1080, 'socks5h:': 1080 };
const bare = (host: string) => host.replace(/^\[|\]$/g, '');

/**
 * A TCP stream to host:port through a proxy, as client-go dials: HTTP CONNECT through an http or https
 * proxy, SOCKS5 with the host name resolved by the proxy (a private cluster's name is often known only
 * behind it). User and password in the proxy URL are sent (Proxy-Authorization Basic, SOCKS5 login).
 */
export async function dialThrough(proxy: URL, host: string, port: number, o: DialOptions): Promise<net.Socket> {
  return proxy.protocol.startsWith('socks5') ? socks(proxy, host, port, o) : connectTunnel(proxy, host, port, o);
}

function connectTunnel(proxy: URL, host: string, port: number, o: DialOptions): Promise<net.Socket> {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { Host: target };
  if (proxy.username) headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  const secure = proxy.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({ host: bare(proxy.hostname), port: Number(proxy.port) || DEFAULT_PORT[proxy.protocol],
      method: 'CONNECT', path: target, headers, agent: false, signal: o.signal, timeout: o.timeoutMs,
      ...(secure ? { ...o.tls, servername: net.isIP(bare(proxy.hostname)) ? undefined : bare(proxy.hostname) } : {}) });
    req.once('connect', (res, socket, head) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return reject(proxyError(`proxy ${proxy.host} did not open a tunnel to ${target}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
      }
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`no answer from proxy ${proxy.host} within ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.once('error', reject);
    req.end();
  });
}

async function socks(proxy: URL, host: string, port: number, o: DialOptions): Promise<net.Socket> {
  // Loaded only when a SOCKS proxy is used: nothing of it weighs on the start of other runs.
  const { SocksClient } = await import('socks');
  const opening = SocksClient.createConnection({
    proxy: { host: bare(proxy.hostname), port: Number(proxy.port) || DEFAULT_PORT[proxy.protocol]!, type: 5,
      userId: proxy.username ? decodeURIComponent(proxy.username) : undefined, password: proxy.password ? decodeURIComponent(proxy.password) : undefined },
    command: 'connect', destination: { host, port }, timeout: o.timeoutMs,
  });
  let abort!: () => void;
  const aborted = new Promise<never>((_, reject) => { abort = () => reject(o.signal.reason); });
  o.signal.addEventListener('abort', abort, { once: true });
  try {
    return (await Promise.race([opening, aborted])).socket;
  } catch (e) {
    opening.then(({ socket }) => socket.destroy(), () => {}); // a tunnel that opens after the abort
    if (o.signal.aborted) throw e;
    // socks reports every failure as text: keep the socket's code (a proxy that is down is retried like a server that is).
    const message = (e as Error).message;
    const code = /timed out/i.test(message) ? 'ETIMEDOUT' : /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND)\b/.exec(message)?.[1];
    throw code ? Object.assign(new Error(`proxy ${proxy.host}: ${message}`), { code }) : proxyError(`proxy ${proxy.host}: ${message}`);
  } finally {
    o.signal.removeEventListener('abort', abort);
  }
}

/** The proxy answered but would not connect us (refused, unknown host, authentication). */
const proxyError = (message: string) => Object.assign(new Error(message), { code: 'EPROXY' });
