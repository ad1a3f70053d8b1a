// Two beds started at the same moment in two checkouts of the repo: each gets its own slot, hence its
// own pod IPs and its own ports (the port plan of topology.ts, not kwokctl's search for free ports, which
// gave both beds the same ones), and both run; then both go down and give their slots back.
// The checkouts are temporary copies of testbed/ (copyBed), one cluster each to keep the cost bounded.
// They claim slots in the machine-wide registry, as any bed does, so they never take the slot (and
// ports) of a bed that already runs here.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterPorts } from '../../testbed/topology.js';
import { copyBed } from '../helpers/bed.js';

const copies = ['a', 'b'].map((name) => copyBed(name, 540_000));

const slotOf = (root: string) => Number(readFileSync(path.join(root, '.testbed', 'slot'), 'utf8').trim());
const serverOf = (kubeconfig: string) => new URL((parse(readFileSync(kubeconfig, 'utf8')) as any).clusters[0].cluster.server as string);

/** Ports in LISTEN state on 127.0.0.1. */
async function listening(): Promise<Set<number>> {
  const { stdout } = await execa('ss', ['-Hltn']);
  return new Set(stdout.split('\n').map((l) => /\s127\.0\.0\.1:(\d+)\s/.exec(l)?.[1]).filter(Boolean).map(Number));
}

describe('two beds started at the same moment in two checkouts', { timeout: 600_000 }, () => {
  // Whatever happened: nothing of the two beds stays running.
  afterAll(() => Promise.all(copies.map((c) => c.remove())), 300_000);

  it('both come up healthy, on their own slots and planned ports, and both go down', async () => {
    const ups = await Promise.all(copies.map((c) => c.cli('up', '--clusters', '1')));
    ups.forEach((r, i) => expect(r.exitCode, `up in copy ${i}:\n${r.all}`).toBe(0));
    for (const copy of copies) {
      const safety = await copy.safetyCheck();
      expect(safety.exitCode, safety.all).toBe(0);
    }

    const [slotA, slotB] = copies.map((c) => slotOf(c.root));
    expect(slotA).not.toBe(slotB);
    const open = await listening();
    for (const copy of copies) {
      const planned = clusterPorts('cp', slotOf(copy.root));
      expect(Number(serverOf(copy.kubeconfig).port)).toBe(planned.kubeApiserverPort);
      // Every component listens where the plan says (so nothing was left to kwokctl's own choice).
      for (const [component, port] of Object.entries(planned)) expect(open.has(port), `${component} of ${copy.root} on ${port}`).toBe(true);
      const st = await copy.cli('status');
      expect(st.exitCode, st.all).toBe(0);
      expect(st.all).toMatch(/^ok\s+cp\s+v1\.34\.4/m);
    }

    const downs = await Promise.all(copies.map((c) => c.cli('down')));
    downs.forEach((r, i) => expect(r.exitCode, `down in copy ${i}:\n${r.all}`).toBe(0));
    const after = await listening();
    for (const [copy, slot] of [[copies[0]!, slotA!], [copies[1]!, slotB!]] as const) {
      expect(existsSync(path.join(copy.root, '.testbed'))).toBe(false);
      for (const port of Object.values(clusterPorts('cp', slot))) expect(after.has(port), `port ${port} still open after down`).toBe(false);
    }
  });
});
