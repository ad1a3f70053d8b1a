// The bed's pod network: listener and connector probe pods are played with real sockets on their
// loopback pod IPs, and a cut between two clusters drops their traffic until healed.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cut, heal, status } from '../../testbed/bed.js';
import { loadContexts } from '../../testbed/kube.js';
import { podCidr } from '../../testbed/topology.js';
import {
  apply,
  bedKubeconfig,
  connectorPod,
  createNamespace,
  deleteNamespace,
  kubectl,
  listenerPod,
  podIp,
  probeReport,
  uniqueName,
} from '../helpers/bed.js';

const ns = uniqueName('bed-podnet');
const CONTEXTS = ['cp', 'dp1', 'dp2'];
const PORT = 7000;
const TIMEOUT_MS = 500;
const ip: Record<string, string> = {};
let runs = 0;

/** Runs a connector pod in `from` against the targets and returns its results by target. */
async function probeFrom(from: string, targets: string[]) {
  const name = `connector-${++runs}`;
  await apply(from, connectorPod(ns, name, targets, TIMEOUT_MS));
  const report = await probeReport(from, ns, name);
  return Object.fromEntries(report.results.map((r) => [r.target, r]));
}

/** A raw TCP connection from a source address: 'closed' (accepted and closed) or the error code. */
function rawConnect(host: string, port: number, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress, timeout: 2000 });
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.on('end', () => done('closed'));
    socket.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
    socket.on('timeout', () => done('timeout'));
  });
}

describe('pod network of the bed', () => {
  beforeAll(async () => {
    heal();
    await Promise.all(CONTEXTS.map((c) => createNamespace(c, ns)));
    await Promise.all(CONTEXTS.map((c) => apply(c, listenerPod(ns, 'listener', [PORT, 9042]))));
    for (const c of CONTEXTS) ip[c] = await podIp(c, ns, 'listener');
  });
  afterAll(async () => {
    heal();
    await Promise.all(CONTEXTS.map((c) => deleteNamespace(c, ns)));
  });

  it.each(CONTEXTS)('gives the listener pod in %s an IP in its pod CIDR', (context) => {
    expect(ip[context]!.startsWith(podCidr(context).replace('0/24', ''))).toBe(true);
  });

  it('connects a cp connector to listeners in dp1 and dp2, and reports refused ports', async () => {
    const r = await probeFrom('cp', [`${ip.dp1}:${PORT}`, `${ip.dp2}:${PORT}`, `${ip.dp1}:9042`, `${ip.dp1}:7001`]);
    expect(r[`${ip.dp1}:${PORT}`]).toMatchObject({ ok: true });
    expect(r[`${ip.dp2}:${PORT}`]).toMatchObject({ ok: true });
    expect(r[`${ip.dp1}:9042`]).toMatchObject({ ok: true });
    expect(r[`${ip.dp1}:7001`]).toMatchObject({ ok: false, error: 'refused' });
  });

  it('leaves a finished connector Succeeded with the report in its termination message', async () => {
    await probeFrom('cp', [`${ip.dp1}:${PORT}`]);
    const pod = JSON.parse(await kubectl('cp', '-n', ns, 'get', 'pod', `connector-${runs}`, '-o', 'json'));
    await new Promise((r) => setTimeout(r, 1000)); // kwok must not take the status back
    const again = JSON.parse(await kubectl('cp', '-n', ns, 'get', 'pod', `connector-${runs}`, '-o', 'json'));
    for (const p of [pod, again]) {
      expect(p.status.phase).toBe('Succeeded');
      expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    }
  });

  it('cuts cp from dp1 (timeouts, resets) while cp and dp2 still talk, and heals', async () => {
    cut('cp', 'dp1');
    try {
      expect((await status()).cuts).toEqual([['cp', 'dp1']]);
      // API server addresses count as the cluster's too (the control plane must reach data-plane APIs).
      const api = Object.fromEntries(loadContexts(bedKubeconfig()).map((c) => [c.name, new URL(c.server).host]));
      const r = await probeFrom('cp', [`${ip.dp1}:${PORT}`, `${ip.dp2}:${PORT}`, api.dp1!, api.dp2!]);
      expect(r[`${ip.dp1}:${PORT}`]).toMatchObject({ ok: false, error: 'timeout' });
      expect(r[`${ip.dp1}:${PORT}`]!.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
      expect(r[`${ip.dp2}:${PORT}`]).toMatchObject({ ok: true });
      expect(r[api.dp1!]).toMatchObject({ ok: false, error: 'timeout' });
      expect(r[api.dp2!]).toMatchObject({ ok: true });

      // Raw sockets see the cut too: dp1's listener resets a connection from a cp pod address.
      const cpAddress = podCidr('cp').replace('0/24', '250');
      expect(await rawConnect(ip.dp1!, PORT, cpAddress)).toBe('ECONNRESET');
      expect(await rawConnect(ip.dp2!, PORT, cpAddress)).toBe('closed');

      // Both directions are cut; dp1 still reaches dp2.
      const fromDp1 = await probeFrom('dp1', [`${ip.cp}:${PORT}`, `${ip.dp2}:${PORT}`]);
      expect(fromDp1[`${ip.cp}:${PORT}`]).toMatchObject({ ok: false, error: 'timeout' });
      expect(fromDp1[`${ip.dp2}:${PORT}`]).toMatchObject({ ok: true });
    } finally {
      heal('cp', 'dp1');
    }
    const healed = await probeFrom('cp', [`${ip.dp1}:${PORT}`]);
    expect(healed[`${ip.dp1}:${PORT}`]).toMatchObject({ ok: true });
    expect(await rawConnect(ip.dp1!, PORT, podCidr('cp').replace('0/24', '250'))).toBe('closed');
  });

  it('stops listening when the listener pod is deleted', async () => {
    await apply('dp2', listenerPod(ns, 'short-lived', [PORT]));
    const address = await podIp('dp2', ns, 'short-lived');
    expect((await probeFrom('cp', [`${address}:${PORT}`]))[`${address}:${PORT}`]).toMatchObject({ ok: true });
    await kubectl('dp2', '-n', ns, 'delete', 'pod', 'short-lived', '--wait=true', '--timeout=30s');
    await new Promise((r) => setTimeout(r, 500)); // one poll of the agent
    expect(await rawConnect(address, PORT, podCidr('cp').replace('0/24', '250'))).toBe('ECONNREFUSED');
  });
});
