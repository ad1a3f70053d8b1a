import { defineConfig } from 'vitest/config';

// Two projects: pure logic (fast, no clusters) and everything that runs against the real test bed.
export default defineConfig({
  test: {
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
    ],
  },
});
