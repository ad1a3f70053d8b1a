// The pod network's pure parts: target parsing, the termination-message limit, cuts, the address plan.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addCut, isCut, readCuts, removeCuts } from '../../testbed/cuts.js';
import { MESSAGE_LIMIT, type ProbeReport, type ProbeResult } from '../../src/routability/contract.js';
import { createServer } from 'node:net';
import { parseApiServers, parseTargets, probeApiServer, reportMessage } from '../../testbed/probes.js';
import { bedSlot, clusterIndex, clusterPorts, contextName, contextOfPodIp, MAX_CLUSTERS, MAX_SLOT, podCidr } from '../../testbed/topology.js';

describe('probe targets', () => {
  it('parses ip:port lists and marks what is not one', () => {
    expect(parseTargets(' 127.21.0.5:7000  127.22.0.9:9042\n')).toEqual([
      { raw: '127.21.0.5:7000', host: '127.21.0.5', port: 7000 },
      { raw: '127.22.0.9:9042', host: '127.22.0.9', port: 9042 },
    ]);
    expect(parseTargets('cassandra:9042 127.0.0.1:0 127.0.0.1')).toEqual([
      { raw: 'cassandra:9042', invalid: true },
      { raw: '127.0.0.1:0', invalid: true },
      { raw: '127.0.0.1', invalid: true },
    ]);
    expect(parseTargets(undefined)).toEqual([]);
  });
});

describe('API-server targets', () => {
  it('parses https://host:port lists (names, IPv4, bracketed IPv6) and marks what is not one', () => {
    expect(parseApiServers('https://127.0.0.1:20010 https://dp1-control-plane:6443 https://[fd00::1]:443')).toEqual([
      { raw: 'https://127.0.0.1:20010', host: '127.0.0.1', port: 20010 },
      { raw: 'https://dp1-control-plane:6443', host: 'dp1-control-plane', port: 6443 },
      { raw: 'https://[fd00::1]:443', host: 'fd00::1', port: 443 },
    ]);
    expect(parseApiServers('127.0.0.1:6443 http://127.0.0.1:6443 https://127.0.0.1')).toEqual([
      { raw: '127.0.0.1:6443', invalid: true }, { raw: 'http://127.0.0.1:6443', invalid: true }, { raw: 'https://127.0.0.1', invalid: true }]);
  });

  it('never resolves names nor dials off loopback; a cut drops; a refused port and a server that speaks no TLS say so', async () => {
    const [name, remote] = parseApiServers('https://kind-control-plane:6443 https://172.18.0.3:6443') as { raw: string; host: string; port: number }[];
    expect(await probeApiServer(name!, '127.0.0.1', 1000, false)).toMatchObject({ ok: false, error: 'dns' });
    expect(await probeApiServer(remote!, '127.0.0.1', 1000, false)).toMatchObject({ ok: false, error: 'unroutable' });
    const plain = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as { port: number }).port;
    try {
      const target = { raw: `https://127.0.0.1:${port}`, host: '127.0.0.1', port };
      expect(await probeApiServer(target, '127.0.0.1', 2000, false)).toMatchObject({ ok: false, error: 'tls' });
      const dropped = await probeApiServer(target, '127.0.0.1', 300, true);
      expect(dropped).toMatchObject({ ok: false, error: 'timeout' });
      expect(dropped.ms).toBeGreaterThanOrEqual(290);
    } finally {
      plain.close(); // stops listening at once (its callback waits for connections the server ended itself)
    }
    expect(await probeApiServer({ raw: `https://127.0.0.1:${port}`, host: '127.0.0.1', port }, '127.0.0.1', 1000, false)).toMatchObject({ ok: false, error: 'refused' });
  });
});

describe('termination message', () => {
  const results = (n: number): ProbeResult[] =>
    Array.from({ length: n }, (_, i) => ({ target: `127.21.0.${i % 250}:${7000 + i}`, ok: i % 7 !== 0, ms: 1000 + i, ...(i % 7 ? {} : { error: 'timeout' }) }));

  it('keeps the full report when it fits', () => {
    expect(JSON.parse(reportMessage(results(3)))).toEqual({ results: results(3) });
  });

  it('drops ms, then results (failures kept first), and always stays under the limit', () => {
    for (const n of [90, 200, 1000]) {
      expect(Buffer.byteLength(JSON.stringify({ results: results(n) }))).toBeGreaterThan(MESSAGE_LIMIT);
      const message = reportMessage(results(n));
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MESSAGE_LIMIT);
      const report = JSON.parse(message) as ProbeReport;
      expect(report.results.every((r) => r.ms === undefined)).toBe(true);
      expect(report.results.length + (report.omitted ?? 0)).toBe(n);
      const failures = results(n).filter((r) => !r.ok).length;
      expect(report.results.slice(0, Math.min(failures, report.results.length)).every((r) => !r.ok)).toBe(true);
    }
  });
});

describe('cuts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bed-cuts-'));
  const path = join(dir, 'cuts.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are symmetric pairs that heal one at a time or all at once', () => {
    expect(readCuts(path)).toEqual([]);
    addCut('dp2', 'cp', path);
    addCut('cp', 'dp2', path);
    addCut('dp1', 'dp2', path);
    expect(readCuts(path)).toEqual([['cp', 'dp2'], ['dp1', 'dp2']]);
    expect(isCut(readCuts(path), 'dp2', 'cp')).toBe(true);
    expect(isCut(readCuts(path), 'cp', 'dp1')).toBe(false);
    removeCuts(['dp2', 'cp'], path);
    expect(readCuts(path)).toEqual([['dp1', 'dp2']]);
    removeCuts(undefined, path);
    expect(readCuts(path)).toEqual([]);
  });
});

describe('address plan', () => {
  it('maps contexts to disjoint loopback pod CIDRs and back', () => {
    const slot = bedSlot();
    expect(podCidr('cp')).toBe(`127.20.${slot}.0/24`);
    expect(podCidr('dp2')).toBe(`127.22.${slot}.0/24`);
    expect(contextOfPodIp(`127.21.${slot}.7`)).toBe('dp1');
    expect(contextOfPodIp(`127.21.${slot + 1}.7`)).toBeUndefined(); // another bed's slot
    expect(contextOfPodIp('10.0.0.7')).toBeUndefined();
    expect(clusterIndex(contextName(12))).toBe(12);
    expect(() => clusterIndex('prod')).toThrow();
    expect(() => clusterIndex(`dp${MAX_CLUSTERS}`)).toThrow(); // it would have no ports of its own
  });

  it('gives every cluster of every slot its own ports, all in 20000-31999 (below the ephemeral range and kwokctl\'s own search)', () => {
    expect(clusterPorts('cp', 0)).toEqual({
      kubeApiserverPort: 20000, etcdPort: 20001, etcdPeerPort: 20002, kubeControllerManagerPort: 20003, kubeSchedulerPort: 20004, kwokControllerPort: 20005,
    });
    expect(clusterPorts('dp2', 1).kubeApiserverPort).toBe(20220);
    const ports: number[] = [];
    for (let slot = 0; slot <= MAX_SLOT; slot++) {
      for (let i = 0; i < MAX_CLUSTERS; i++) ports.push(...Object.values(clusterPorts(contextName(i), slot)));
    }
    expect(new Set(ports).size).toBe(ports.length);
    expect(Math.min(...ports)).toBe(20000);
    expect(Math.max(...ports)).toBeLessThan(32000);
  });
});
