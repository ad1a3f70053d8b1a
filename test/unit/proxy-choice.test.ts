// Which proxy a cluster is reached through, with Go's rules (golang.org/x/net/http/httpproxy), which
// kubectl follows: the cases below are the data of Go's own test table (proxy_test.go), run against our port.
import { describe, expect, it } from 'vitest';
import { proxyEnv, proxyForCluster, proxyFromEnv, useProxy, type ProxyEnv } from '../../src/kube/proxy-choice.js';

const shown = (u: URL | undefined) => (u ? u.href.replace(/\/$/, '') : '<nil>');

// [environment, request URL (default http://example.com), the proxy Go picks]
const proxyForURL: [ProxyEnv, string | undefined, string][] = [
  [{ httpProxy: '127.0.0.1:8080' }, undefined, 'http://127.0.0.1:8080'],
  [{ httpProxy: 'cache.corp.example.com:1234' }, undefined, 'http://cache.corp.example.com:1234'],
  [{ httpProxy: 'cache.corp.example.com' }, undefined, 'http://cache.corp.example.com'],
  [{ httpProxy: 'localhost' }, undefined, 'http://localhost'],
  [{ httpProxy: 'https://cache.corp.example.com' }, undefined, 'https://cache.corp.example.com'],
  [{ httpProxy: 'http://127.0.0.1:8080' }, undefined, 'http://127.0.0.1:8080'],
  [{ httpProxy: 'https://127.0.0.1:8080' }, undefined, 'https://127.0.0.1:8080'],
  [{ httpProxy: 'socks5://127.0.0.1' }, undefined, 'socks5://127.0.0.1'],
  [{ httpProxy: 'foo://host' }, undefined, 'foo://host'],
  [{ httpProxy: 'http.proxy.tld', httpsProxy: 'secure.proxy.tld' }, 'http://insecure.tld/', 'http://http.proxy.tld'],
  [{ httpProxy: 'http.proxy.tld', httpsProxy: 'secure.proxy.tld' }, 'https://secure.tld/', 'http://secure.proxy.tld'],
  [{ httpProxy: 'http.proxy.tld', httpsProxy: 'https://secure.proxy.tld' }, 'https://secure.tld/', 'https://secure.proxy.tld'],
  [{ httpProxy: 'http.proxy.tld' }, 'https://secure.tld/', '<nil>'],
  [{ httpProxy: 'http.proxy.tld' }, 'ftp://insecure.tld/', '<nil>'],
  [{ httpsProxy: 'https://secure.proxy.tld', cgi: true }, 'https://secure.tld/', 'https://secure.proxy.tld'],
  [{}, undefined, '<nil>'],
  [{ noProxy: 'example.com', httpProxy: 'proxy' }, 'http://example.com/', '<nil>'],
  [{ noProxy: '.example.com', httpProxy: 'proxy' }, 'http://example.com/', 'http://proxy'],
  [{ noProxy: 'ample.com', httpProxy: 'proxy' }, 'http://example.com/', 'http://proxy'],
  [{ noProxy: 'example.com', httpProxy: 'proxy' }, 'http://foo.example.com/', '<nil>'],
  [{ noProxy: '.foo.com', httpProxy: 'proxy' }, 'http://example.com/', 'http://proxy'],
  [{ noProxy: '.示例.com', httpProxy: 'proxy' }, 'http://www.示例.com', '<nil>'],
  [{ noProxy: 'xn--fsq092h.com', httpProxy: 'proxy' }, 'http://www.示例.com', '<nil>'],
  [{ noProxy: '示例.com', httpProxy: 'proxy' }, 'http://www.xn--fsq092h.com', '<nil>'],
  // Go's case `http://[1000::%25.example.com]:123` is left out: it is not a URL that WHATWG (Node) parses.
];

// [host, whether it goes through the proxy] for NO_PROXY below, each asked on port 80.
const noProxy = 'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64';
const useProxyCases: [string, boolean][] = [
  ['localhost', false], ['127.0.0.1', false], ['127.0.0.2', false], ['[::1]', false], ['[::2]', true],
  ['192.168.1.1', false], ['192.168.1.2', true], ['192.168.1.3', false], ['192.168.1.4', true], ['10.0.0.2', false],
  ['[2001:db8::52:0:1]', false], ['[2001:db8::52:0:2]', true], ['[2001:db8::52:0:3]', false], ['[2002:db8:a::123]', false],
  ['[fe80::424b:c8be:1643:a1b6]', true],
  ['barbaz.net', true], ['www.barbaz.net', false], ['foobar.com', false], ['www.foobar.com', false], ['foofoobar.com', true],
  ['baz.com', true], ['localhost.net', true], ['local.localhost', true], ['barbarbaz.net', true], ['wildcard.io', true],
  ['nested.wildcard.io', false], ['awildcard.io', true],
];

describe('the proxy of a URL (Go: TestProxyForURL)', () => {
  it.each(proxyForURL)('%j for %s: %s', (env, req, want) => {
    expect(shown(proxyFromEnv(env, new URL(req ?? 'http://example.com')))).toBe(want);
  });

  it('refuses HTTP_PROXY in a CGI environment (HTTP_PROXY may come from a request header there)', () => {
    expect(() => proxyFromEnv({ httpProxy: 'http://10.1.2.3:8080', cgi: true }, new URL('http://example.com')))
      .toThrow('refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy');
  });
});

describe('the environment (Go: TestFromEnvironment*)', () => {
  it('reads upper case, then lower case; REQUEST_METHOD marks CGI', () => {
    expect(proxyEnv({ HTTP_PROXY: 'httpproxy', HTTPS_PROXY: 'httpsproxy', NO_PROXY: 'noproxy', REQUEST_METHOD: '' }))
      .toEqual({ httpProxy: 'httpproxy', httpsProxy: 'httpsproxy', noProxy: 'noproxy', cgi: false });
    expect(proxyEnv({ http_proxy: 'httpproxy', https_proxy: 'httpsproxy', no_proxy: 'noproxy', REQUEST_METHOD: 'PUT' }))
      .toEqual({ httpProxy: 'httpproxy', httpsProxy: 'httpsproxy', noProxy: 'noproxy', cgi: true });
    expect(proxyEnv({ HTTPS_PROXY: 'upper', https_proxy: 'lower' }).httpsProxy).toBe('upper');
  });
});

describe('NO_PROXY (Go: TestUseProxy, TestInvalidNoProxy, TestAllNoProxy)', () => {
  it.each(useProxyCases)('%s: proxied %s', (host, proxied) => {
    expect(useProxy(noProxy, host, '80')).toBe(proxied);
  });

  it('ignores an entry without a host', () => {
    expect(useProxy(':1', 'example.com', '80')).toBe(true);
  });

  it('"*" sends nothing through the proxy', () => {
    expect(useProxyCases.filter(([host]) => useProxy('*', host, '80'))).toEqual([]);
  });
});

describe('a cluster (client-go)', () => {
  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: '.internal' };
  it('takes the kubeconfig proxy-url over the environment', () => {
    expect(shown(proxyForCluster('socks5://bastion:1080', 'https://api.example.com', env))).toBe('socks5://bastion:1080');
  });
  it('takes the environment otherwise, with its NO_PROXY, and never for loopback', () => {
    expect(shown(proxyForCluster(undefined, 'https://api.example.com:6443', env))).toBe('http://proxy.corp:3128');
    expect(proxyForCluster(undefined, 'https://api.cluster.internal:6443', env)).toBeUndefined();
    expect(proxyForCluster(undefined, 'https://127.0.0.1:6443', env)).toBeUndefined();
    expect(proxyForCluster(undefined, 'https://localhost:6443', env)).toBeUndefined();
  });
});
