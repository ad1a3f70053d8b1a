// Two beds started at the same moment in two checkouts of the repo: each gets its own slot, hence its
// own pod IPs and its own ports (the port plan of topology.ts, not kwokctl's search for free ports, which
// gave both beds the same ones), and both run; then both go down and give their slots back.
// The checkouts are temporary copies of testbed/ (the bed finds its state from its own location), one
// cluster each to keep the cost bounded. They claim slots in the machine-wide registry, as any bed
// does, so they never take the slot (and ports) of a bed that already runs here.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, safetyCheckPath, testbedDir } from '../../testbed/paths.js';
import { clusterPorts } from '../../testbed/topology.js';

const copies = ['a', 'b'].map((name) => path.join(mkdtempSync(path.join(tmpdir(), `k8ssandra-bed-${name}-`)), 'repo'));

/** Runs the bed's CLI of one copy, as `npm run testbed -- ...` would there. */
function bedCli(copy: string, ...args: string[]) {
  // Nothing of this run's own bed may leak in: no forced slot, no kubeconfig or cache of the main bed.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TESTBED_SLOT|KUBECONFIG|KUBECACHEDIR|K8SSANDRA_TESTBED_)/.test(k)));
  return execa(process.execPath, ['--import', 'tsx', path.join(copy, 'testbed', 'cli.ts'), ...args],
    { cwd: copy, env: { ...env, TESTBED_SAFETY_CHECK: safetyCheckPath }, extendEnv: false, reject: false, all: true, timeout: 540_000 });
}

const slotOf = (copy: string) => Number(readFileSync(path.join(copy, '.testbed', 'slot'), 'utf8').trim());
const serverOf = (copy: string) =>
  new URL((parse(readFileSync(path.join(copy, '.testbed', 'kubeconfig'), 'utf8')) as any).clusters[0].cluster.server as string);

/** Ports in LISTEN state on 127.0.0.1. */
async function listening(): Promise<Set<number>> {
  const { stdout } = await execa('ss', ['-Hltn']);
  return new Set(stdout.split('\n').map((l) => /\s127\.0\.0\.1:(\d+)\s/.exec(l)?.[1]).filter(Boolean).map(Number));
}

describe('two beds started at the same moment in two checkouts', { timeout: 600_000 }, () => {
  beforeAll(() => {
    for (const copy of copies) {
      cpSync(testbedDir, path.join(copy, 'testbed'), { recursive: true });
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
      writeFileSync(path.join(copy, 'package.json'), '{ "type": "module" }\n');
    }
  });
  afterAll(async () => {
    // Whatever happened above: nothing of the two beds stays running.
    await Promise.all(copies.filter((c) => existsSync(path.join(c, '.testbed'))).map((c) => bedCli(c, 'down')));
    for (const copy of copies) rmSync(path.dirname(copy), { recursive: true, force: true });
  }, 300_000);

  it('both come up healthy, on their own slots and planned ports, and both go down', async () => {
    const ups = await Promise.all(copies.map((c) => bedCli(c, 'up', '--clusters', '1')));
    ups.forEach((r, i) => expect(r.exitCode, `up in copy ${i}:\n${r.all}`).toBe(0));

    const [slotA, slotB] = copies.map(slotOf);
    expect(slotA).not.toBe(slotB);
    const open = await listening();
    for (const copy of copies) {
      const planned = clusterPorts('cp', slotOf(copy));
      expect(Number(serverOf(copy).port)).toBe(planned.kubeApiserverPort);
      // Every component listens where the plan says (so nothing was left to kwokctl's own choice).
      for (const [component, port] of Object.entries(planned)) expect(open.has(port), `${component} of ${copy} on ${port}`).toBe(true);
      const st = await bedCli(copy, 'status');
      expect(st.exitCode, st.all).toBe(0);
      expect(st.all).toMatch(/^ok\s+cp\s+v1\.34\.4/m);
    }

    const downs = await Promise.all(copies.map((c) => bedCli(c, 'down')));
    downs.forEach((r, i) => expect(r.exitCode, `down in copy ${i}:\n${r.all}`).toBe(0));
    const after = await listening();
    for (const [copy, slot] of [[copies[0]!, slotA!], [copies[1]!, slotB!]] as const) {
      expect(existsSync(path.join(copy, '.testbed'))).toBe(false);
      for (const port of Object.values(clusterPorts('cp', slot))) expect(after.has(port), `port ${port} still open after down`).toBe(false);
    }
  });
});
