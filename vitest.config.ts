import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Every temporary file of a run (the tests' kubeconfigs, caches, plugins, and the CLI's they start) goes
// under one folder, removed when the run ends: a run leaves nothing in the system's temp folder.
// os.tmpdir() reads TMPDIR, which the test workers and the processes they start inherit.
// The bed's slot registry stays in the system's temp folder: beds of other clones must see its claims.
if (!process.env.K8SSANDRA_TEST_TMPDIR) {
  process.env.TESTBED_SLOT_REGISTRY ??= path.join(tmpdir(), 'k8ssandra-testbed-slots');
  const runDir = mkdtempSync(path.join(tmpdir(), 'k8ssandra-test-'));
  process.env.K8SSANDRA_TEST_TMPDIR = runDir;
  process.env.TMPDIR = runDir;
  process.on('exit', () => rmSync(runDir, { recursive: true, force: true }));
}

/**
 * Test files run in random order, so that no file relies on what another left behind: each sets up what
 * it needs. The seed is printed at the start of every run; K8SSANDRA_TEST_SEED=<seed> repeats an order
 * (or `--sequence.seed <seed>`). Tests inside a file keep their order: some are steps of one story.
 */
const seedFromEnv = process.env.K8SSANDRA_TEST_SEED;
if (seedFromEnv !== undefined && !/^\d+$/.test(seedFromEnv)) throw new Error(`K8SSANDRA_TEST_SEED must be a whole number, not ${seedFromEnv}`);

// Two projects: pure logic (fast, no clusters) and everything that runs against the real test bed.
export default defineConfig({
  test: {
    sequence: { shuffle: { files: true, tests: false }, seed: seedFromEnv === undefined ? undefined : Number(seedFromEnv) },
    // Tests that never ran because a hook (beforeAll) failed are reported as failed, not skipped.
    reporters: ['default', './test/setup/not-run-reporter.ts'],
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/cli/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts', 'test/testbed/**/*.test.ts'],
          globalSetup: ['test/setup/testbed.ts'],
          // The clusters are shared: files run one after another, never two at once.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Beds of other sizes (ten clusters) and the bed's own version switch, whose binaries are built on
        // first use (10-30 minutes on 2 cores). Not part of `npm test`: `npm run test:scale`. The smoke test on
        // the oldest supported Kubernetes (test/e2e/oldest-version.test.ts) is part of `npm test`.
        test: {
          name: 'scale',
          include: ['test/scale/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 2_400_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
