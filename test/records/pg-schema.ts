/**
 * A fresh Postgres schema per test file on the `TEST_DATABASE_URL` server, so test files running in parallel never
 * see each other's tables; returns a connection URL whose `search_path` is that schema.
 */
import { openPostgresDb } from '../../src/records/sql-db.js';

export async function freshSchemaUrl(baseUrl: string, schema: string): Promise<string> {
  const db = openPostgresDb(baseUrl);
  try {
    await db.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.run(`CREATE SCHEMA ${schema}`);
  } finally {
    await db.close();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}
