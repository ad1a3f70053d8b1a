// What a connector probe pod does, as plain functions: parse its targets, connect to each from the
// pod's IP, and turn the results into a termination message that fits the Kubernetes limit.
import { connect, isIPv4 } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { MESSAGE_LIMIT, type ProbeReport, type ProbeResult } from '../src/routability/contract.js';
import { isLoopbackIPv4 } from './topology.js';

export interface Target {
  raw: string;
  host: string;
  port: number;
}

export function parseTargets(value: string | undefined): (Target | { raw: string; invalid: true })[] {
  return (value ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((raw) => {
      const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(raw);
      const port = Number(m?.[2]);
      return m && port >= 1 && port <= 65535 ? { raw, host: m[1]!, port } : { raw, invalid: true as const };
    });
}

function errorName(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    default:
      return (code ?? 'error').toLowerCase();
  }
}

/**
 * Connects to one target from `source` and closes at once. `dropped` plays a firewall that drops the
 * packets: no connection is made and the probe fails after the full timeout, as it would on a real
 * network. Targets off loopback are never dialled: the bed's traffic must stay on this machine.
 */
export async function probe(target: Target, source: string, timeoutMs: number, dropped: boolean): Promise<ProbeResult> {
  const result = resultFor(target);
  if (!isLoopbackIPv4(target.host)) return result(false, 'unroutable');
  if (dropped) return cutOff(result, timeoutMs);
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port, localAddress: source, timeout: timeoutMs });
    const finish = (r: ProbeResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('connect', () => finish(result(true)));
    socket.once('timeout', () => finish(result(false, 'timeout')));
    socket.once('error', (e: NodeJS.ErrnoException) => finish(result(false, errorName(e.code))));
  });
}

/** One entry of the connector's API-server list: "https://host:port" (contract.ts ENV_API_SERVERS). */
export function parseApiServers(value: string | undefined): (Target | { raw: string; invalid: true })[] {
  return (value ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((raw) => {
      const m = /^https:\/\/(\[[^\]]+\]|[^:/\s]+):(\d{1,5})$/.exec(raw);
      const port = Number(m?.[2]);
      return m && port >= 1 && port <= 65535 ? { raw, host: m[1]!.replace(/^\[|\]$/g, ''), port } : { raw, invalid: true as const };
    });
}

/**
 * Reaches an API server as the real connector does: TCP connect from `source`, then a TLS handshake
 * (the certificate is not checked: the probe asks whether the address is an API server's, the
 * ClientConfig carries the CA). Names are never resolved ("dns"): in-network names such as kind's
 * `<cluster>-control-plane` exist only in other networks, and a lookup could leave the machine.
 */
export async function probeApiServer(target: Target, source: string, timeoutMs: number, dropped: boolean): Promise<ProbeResult> {
  const result = resultFor(target);
  if (!isIPv4(target.host) && !target.host.includes(':')) return result(false, 'dns');
  if (!isLoopbackIPv4(target.host)) return result(false, 'unroutable');
  if (dropped) return cutOff(result, timeoutMs);
  return new Promise((resolve) => {
    // TCP from the pod's IP first (tls.connect cannot bind a source address), then TLS over it.
    const socket = connect({ host: target.host, port: target.port, localAddress: source, timeout: timeoutMs });
    const finish = (r: ProbeResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.once('timeout', () => finish(result(false, 'timeout')));
    socket.once('error', (e: NodeJS.ErrnoException) => finish(result(false, errorName(e.code))));
    socket.once('connect', () => {
      const secure = tlsConnect({ socket, rejectUnauthorized: false });
      secure.once('secureConnect', () => finish(result(true)));
      secure.once('error', () => finish(result(false, 'tls')));
    });
  });
}

/** The JSON termination message, compacted as the contract says when it would exceed the limit. */
export function reportMessage(results: ProbeResult[], limit = MESSAGE_LIMIT): string {
  const full = JSON.stringify({ results } satisfies ProbeReport);
  if (Buffer.byteLength(full) <= limit) return full;
  // Failures first: they are what the reader needs most.
  const slim = results.map(({ ms: _ms, ...rest }) => rest).sort((a, b) => Number(a.ok) - Number(b.ok));
  const all = JSON.stringify({ results: slim });
  if (Buffer.byteLength(all) <= limit) return all;
  const kept: ProbeResult[] = [];
  for (const r of slim) {
    const next = JSON.stringify({ results: [...kept, r], omitted: slim.length - kept.length - 1 });
    if (Buffer.byteLength(next) > limit) break;
    kept.push(r);
  }
  return JSON.stringify({ results: kept, omitted: slim.length - kept.length } satisfies ProbeReport);
}

/** A probe's result, timed from when the probe began. */
function resultFor(target: Target): (ok: boolean, error?: string) => ProbeResult {
  const started = performance.now();
  return (ok, error) => ({ target: target.raw, ok, ms: Math.round(performance.now() - started), ...(error ? { error } : {}) });
}

/** A cut connection: nothing answers, so the probe times out. */
async function cutOff(result: (ok: boolean, error?: string) => ProbeResult, timeoutMs: number): Promise<ProbeResult> {
  await sleep(timeoutMs);
  return result(false, 'timeout');
}
