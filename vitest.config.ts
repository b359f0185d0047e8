import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run the compiled dist/: build it (incrementally) before any test.
    globalSetup: ['test/globalSetup.ts'],
    // Numerical property tests and small end-to-end runs are CPU-bound; two cores here.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
