// `up --clusters 10` on this 2-core machine: ten control planes (contexts cp, dp1..dp9) come up and pass
// the safety check, each answers kubectl with its own Ready node and pod CIDR, `status` says all ten are
// healthy, and `down` leaves none of their ports open. A bed of its own (copyBed); heavy: about 50
// processes, ~5 GiB.
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { contextName } from '../../testbed/topology.js';
import { copyBed } from '../helpers/bed.js';

const COUNT = 10;
const contexts = Array.from({ length: COUNT }, (_, i) => contextName(i));

describe(`up --clusters ${COUNT}`, { timeout: 1_500_000 }, () => {
  const bed = copyBed('many');
  afterAll(() => bed.remove(), 600_000);

  it(`starts ${COUNT} healthy clusters, each with its own node, and takes them all down`, async () => {
    const up = await bed.cli('up', '--clusters', String(COUNT));
    expect(up.exitCode, up.all).toBe(0);
    const safety = await bed.safetyCheck();
    expect(safety.exitCode, safety.all).toBe(0);

    const config = JSON.parse((await bed.kubectl('cp', 'config', 'view', '-o', 'json')).stdout);
    expect(config.contexts.map((c: { name: string }) => c.name)).toEqual(contexts);
    const servers = new Set<string>();
    for (const context of contexts) {
      expect((await bed.kubectl(context, 'get', '--raw', '/readyz')).stdout).toBe('ok');
      const node = JSON.parse((await bed.kubectl(context, 'get', 'node', 'kwok-node-0', '-o', 'json')).stdout);
      expect(node.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
      expect(node.spec.podCIDR).toMatch(new RegExp(`^127\\.${20 + contexts.indexOf(context)}\\.\\d+\\.0/24$`));
      servers.add(config.clusters.find((c: { name: string }) => c.name === `k8ssandra-${context}`).cluster.server);
    }
    expect(servers.size).toBe(COUNT);

    const st = await bed.cli('status');
    expect(st.exitCode, st.all).toBe(0);
    expect(st.all.split('\n').filter((l) => /^ok\s+(cp|dp\d)\s/.test(l))).toHaveLength(COUNT);

    const down = await bed.cli('down');
    expect(down.exitCode, down.all).toBe(0);
    const ports = [...servers].map((s) => new URL(s).port);
    const { stdout } = await execa('ss', ['-Hltn']);
    for (const port of ports) expect(stdout, `port ${port} still open after down`).not.toContain(`127.0.0.1:${port} `);
  });
});
