import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests open loopback sockets and a Postgres server; keep the pool small on a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
