import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '../../src/storage/db';

describe('PGlite in a worker thread', function () {
  this.timeout(60_000);
  let db: Db;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagemaatje-worker-'));
    db = await openDb({ dataDir: dir, worker: true });
    await db.query('CREATE TABLE t (k text PRIMARY KEY, v jsonb)');
  });
  after(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs queries with parameters and returns rows and row counts like pg', async () => {
    const inserted = await db.query(`INSERT INTO t VALUES ($1, $2), ($3, $4)`, ['a', JSON.stringify({ n: 1, s: 'é😀' }), 'b', JSON.stringify({ n: 2 })]);
    assert.equal(inserted.rowCount, 2);
    const { rows, rowCount } = await db.query<{ k: string; v: { n: number; s?: string } }>('SELECT * FROM t ORDER BY k');
    assert.equal(rowCount, 2);
    assert.deepEqual(rows[0], { k: 'a', v: { n: 1, s: 'é😀' } });
  });

  it('commits a transaction, and rolls it back when the work throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO t VALUES ('c', '{}')`);
      await tx.query(`UPDATE t SET v = '{"n": 3}' WHERE k = 'c'`);
    });
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO t VALUES ('d', '{}')`);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    const { rows } = await db.query<{ k: string }>(`SELECT k FROM t WHERE k IN ('c', 'd')`);
    assert.deepEqual(rows.map((r) => r.k), ['c']);
  });

  it('reports SQL errors with their PostgreSQL code, and keeps working', async () => {
    await assert.rejects(db.query(`INSERT INTO t VALUES ('a', '{}')`), (err: Error & { code?: string }) => err.code === '23505');
    await assert.rejects(
      db.transaction(async (tx) => tx.query('SELECT * FROM no_such_table')),
      (err: Error & { code?: string }) => err.code === '42P01',
    );
    assert.equal(await db.ping(), true);
  });

  it('keeps transactions apart from concurrent queries', async () => {
    await db.query(`INSERT INTO t VALUES ('counter', '{"n": 0}')`);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2
          ? db.transaction(async (tx) => {
              const { rows } = await tx.query<{ v: { n: number } }>(`SELECT v FROM t WHERE k = 'counter' FOR UPDATE`);
              await tx.query(`UPDATE t SET v = $1 WHERE k = 'counter'`, [JSON.stringify({ n: rows[0]!.v.n + 1 })]);
            })
          : db.query(`SELECT count(*) FROM t`),
      ),
    );
    const { rows } = await db.query<{ v: { n: number } }>(`SELECT v FROM t WHERE k = 'counter'`);
    assert.equal(rows[0]!.v.n, 10);
  });

  it('keeps the data when reopened', async () => {
    await db.close();
    db = await openDb({ dataDir: dir, worker: true });
    const { rows } = await db.query<{ k: string }>(`SELECT k FROM t WHERE k = 'a'`);
    assert.equal(rows.length, 1);
  });
});
