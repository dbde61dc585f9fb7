/**
 * One database per test run: PGlite in memory by default, or the real PostgreSQL server when
 * DATABASE_URL is set (CI sets it), in a schema of its own that is dropped at the end.
 * `resetDb` empties every table between tests.
 */
import crypto from 'node:crypto';
import { openDb, type Db } from '../../src/storage/db';
import { listTables, migrate } from '../../src/storage/migrations';

let shared: Promise<Db> | undefined;
export const TEST_SCHEMA = `test_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;

export function testDbUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

export function testDb(): Promise<Db> {
  shared ??= (async () => {
    const url = testDbUrl();
    const db = await openDb({ url, schema: url ? TEST_SCHEMA : 'public', dataDir: 'memory' });
    await migrate(db);
    return db;
  })();
  return shared;
}

export async function resetDb(db: Db): Promise<void> {
  const tables = (await listTables(db)).filter((t) => t !== 'schema_migrations');
  if (tables.length > 0) await db.query(`TRUNCATE ${tables.map((t) => `"${t}"`).join(', ')} RESTART IDENTITY CASCADE`);
}

/** Mocha root hook: close the shared database and drop the test schema after all tests. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (!shared) return;
    const db = await shared;
    if (db.engine === 'postgres') await db.query(`DROP SCHEMA IF EXISTS "${TEST_SCHEMA}" CASCADE`);
    await db.close();
  },
};
