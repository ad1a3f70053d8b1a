// `up --k8s-version v1.29.15`: a bed of another Kubernetes version, whose binaries build-binaries.sh
// builds on first use (about 5 minutes on 2 cores, once; cached in ~/.cache/k8ssandra-testbed/v1.29.15/bin),
// so this test builds them where they are missing (a fresh CI machine) rather than skipping. Every
// context's server then reports that version to kubectl. A bed of its own (copyBed).
import { afterAll, describe, expect, it } from 'vitest';
import { contextName } from '../../testbed/topology.js';
import { copyBed } from '../helpers/bed.js';

const VERSION = 'v1.29.15';
const contexts = [0, 1, 2].map(contextName);

describe(`up --k8s-version ${VERSION}`, { timeout: 2_400_000 }, () => {
  const bed = copyBed('version', 2_100_000);
  afterAll(() => bed.remove(), 300_000);

  it('builds the version if missing, starts every cluster on it, and says so', async () => {
    const up = await bed.cli('up', '--k8s-version', VERSION);
    expect(up.exitCode, up.all).toBe(0);
    const safety = await bed.safetyCheck();
    expect(safety.exitCode, safety.all).toBe(0);
    expect(up.all).toContain(`settings: Kubernetes ${VERSION}`);

    for (const context of contexts) {
      const version = JSON.parse((await bed.kubectl(context, 'version', '-o', 'json')).stdout);
      expect(version.serverVersion.gitVersion, context).toBe(VERSION);
    }
    const st = await bed.cli('status');
    expect(st.exitCode, st.all).toBe(0);
    for (const context of contexts) expect(st.all).toMatch(new RegExp(`^ok\\s+${context}\\s+${VERSION.replaceAll('.', '\\.')}\\s`, 'm'));
    expect(st.all).toContain(`settings: Kubernetes ${VERSION}`);
  });
});
