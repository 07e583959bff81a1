/** The load bench's multi-instance rung: run only with a Postgres, refused without one when asked for. */
import { describe, expect, it } from 'vitest';
import { loadBenchOptions } from '../../scripts/bench/load.js';

describe('load bench options: ours-x2-proxy', () => {
  it('is in the default servers when BENCH_DATABASE_URL or TEST_DATABASE_URL is set, and carries the URL', () => {
    const withDb = loadBenchOptions([], { BENCH_DATABASE_URL: 'postgresql://x@127.0.0.1/b' });
    expect(withDb.servers).toContain('ours-x2-proxy');
    expect(withDb.databaseUrl).toBe('postgresql://x@127.0.0.1/b');
    expect(loadBenchOptions([], { TEST_DATABASE_URL: 'postgresql://x@127.0.0.1/t' }).databaseUrl).toBe('postgresql://x@127.0.0.1/t');
  });

  it('is left out without a Postgres, and refused with a message naming the variables when listed', () => {
    expect(loadBenchOptions([], {}).servers).toEqual(['ours', 'ours-pcm16', 'official', 'floor']);
    expect(() => loadBenchOptions([], { BENCH_SERVERS: 'ours,ours-x2-proxy' })).toThrow(/ours-x2-proxy, which needs a Postgres: set BENCH_DATABASE_URL or TEST_DATABASE_URL/);
  });
});
