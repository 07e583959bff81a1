import { configDefaults, defineConfig } from 'vitest/config';

/** Builds dist/ with tsc and boots it: CPU-heavy, so it runs alone, after the timing-sensitive tests. */
const PRODUCTION_BUILD_TEST = 'test/production-build.test.ts';
/**
 * Real Chromium against a live server, and the scripts run as child processes: CPU-heavy, so they run after the
 * timing-sensitive tests (which they would slow down), before the build.
 */
const HEAVY_TESTS = ['test/**/*.browser.test.ts', 'test/demo/demo-cli.test.ts'];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests open loopback sockets and a Postgres server; keep the pool small on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, PRODUCTION_BUILD_TEST, ...HEAVY_TESTS], sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'heavy', include: HEAVY_TESTS, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'build', include: [PRODUCTION_BUILD_TEST], sequence: { groupOrder: 2 } } },
    ],
  },
});
