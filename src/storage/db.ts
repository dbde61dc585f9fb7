/**
 * One PostgreSQL interface over two engines:
 * - PGlite (PostgreSQL compiled to WebAssembly) in a folder under DATA_DIR: no set-up, one process;
 * - a real PostgreSQL server through `pg` when DATABASE_URL is set: several bot instances share it.
 * Both run the same SQL; the rest of the code only sees `Db`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { Pool, type PoolClient } from 'pg';
import { Worker } from 'node:worker_threads';
import type { WorkerRequest, WorkerResponse } from './pgliteWorker';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** postgres://… : use a server. Otherwise PGlite. */
  url?: string;
  /** Folder for PGlite's files; `memory` (or undefined) keeps everything in memory. */
  dataDir?: string;
  /** PostgreSQL schema for all tables (tests use a schema of their own). */
  schema?: string;
  /**
   * Run PGlite in a worker thread (default: yes for a data folder, no in memory), so its
   * WebAssembly work does not block the event loop and uses another core.
   */
  worker?: boolean;
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid schema name: ${name}`);
  return `"${name}"`;
}

class PgliteDb implements Db {
  readonly engine = 'pglite' as const;
  constructor(
    private readonly pg: PGlite,
    private readonly release: () => void = () => undefined,
  ) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const result = await this.pg.query<T>(sql, params);
    // PGlite reports 0 affected rows for a SELECT; pg's rowCount is the number of rows returned then.
    return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (tx: Transaction) =>
      work({
        query: async <R>(sql: string, params: unknown[] = []) => {
          const result = await tx.query<R>(sql, params);
          return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
        },
      }),
    );
  }

  async ping(): Promise<boolean> {
    try {
      await this.pg.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
    this.release();
  }
}

/**
 * PGlite is one process's database: two processes writing the same folder would corrupt it.
 * A lock file with our pid makes a second process stop with a clear message instead.
 */
function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'stagemaatje.lock');
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number(fs.readFileSync(file, 'utf8').trim());
    let alive = false;
    try {
      if (owner && owner !== process.pid) {
        process.kill(owner, 0);
        alive = true;
      }
    } catch {
      alive = false;
    }
    if (alive) {
      throw new Error(
        `the embedded database in ${dir} is in use by process ${owner} (is the bot running?). Stop it first, or set DATABASE_URL to share a PostgreSQL server.`,
      );
    }
    fs.writeFileSync(file, String(process.pid));
  }
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

type Pending = { resolve: (r: WorkerResponse & { ok: true }) => void; reject: (e: Error) => void };

/** PGlite in a worker thread (src/storage/pgliteWorker.ts), behind the same Db interface. */
class WorkerPgliteDb implements Db {
  readonly engine = 'pglite' as const;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private nextTx = 1;
  private broken?: Error;

  private constructor(
    private readonly worker: Worker,
    private readonly release: () => void,
  ) {
    worker.on('message', (response: WorkerResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if (response.ok) waiter.resolve(response);
      else waiter.reject(Object.assign(new Error(response.error.message), { code: response.error.code }));
    });
    const die = (err: Error) => {
      this.broken = err;
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`the database worker stopped (exit code ${code})`)));
  }

  static async start(location: string | undefined, release: () => void): Promise<WorkerPgliteDb> {
    // Under tsx (tests, npm run chat) the worker is a .ts file and needs tsx's loader too.
    const file = path.join(__dirname, `pgliteWorker${path.extname(__filename)}`);
    const worker = new Worker(file, {
      workerData: { pgliteWorker: true, location },
      execArgv: file.endsWith('.ts') ? ['--require', 'tsx/cjs'] : [],
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerResponse) => {
        if (m.id !== 0) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new WorkerPgliteDb(worker, release);
  }

  private call(request: DistributiveOmit<WorkerRequest, 'id'>): Promise<WorkerResponse & { ok: true }> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  async query<T>(sql: string, params: unknown[] = [], txId?: number): Promise<QueryResult<T>> {
    const result = await this.call({ type: 'query', sql, params, txId });
    return { rows: (result.rows ?? []) as T[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const txId = this.nextTx++;
    await this.call({ type: 'begin', txId });
    let outcome: T;
    try {
      outcome = await work({ query: <R>(sql: string, params: unknown[] = []) => this.query<R>(sql, params, txId) });
    } catch (err) {
      await this.call({ type: 'end', txId, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.call({ type: 'end', txId, commit: true });
    return outcome;
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (!this.broken) await this.call({ type: 'close' }).catch(() => undefined);
    await this.worker.terminate();
    this.release();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class PostgresDb implements Db {
  readonly engine = 'postgres' as const;
  constructor(private readonly pool: Pool) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <R>(sql: string, params: unknown[] = []) => {
          const r = await client.query(sql, params);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export async function openDb(options: OpenDbOptions): Promise<Db> {
  const schema = options.schema ?? 'public';
  if (options.url) {
    const pool = new Pool({
      connectionString: options.url,
      max: 10,
      connectionTimeoutMillis: 5_000,
      options: `-c search_path=${quoteIdent(schema)}`,
    });
    // An idle client that loses its connection emits 'error'; without a listener that would crash the process.
    pool.on('error', () => undefined);
    const db = new PostgresDb(pool);
    if (schema !== 'public') await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    return db;
  }
  let location: string | undefined;
  let release = () => undefined as void;
  if (options.dataDir && options.dataDir !== 'memory') {
    location = path.resolve(options.dataDir, 'pglite');
    fs.mkdirSync(location, { recursive: true });
    release = lockDataDir(location);
  }
  let db: Db;
  if (options.worker ?? Boolean(location)) {
    db = await WorkerPgliteDb.start(location, release);
  } else {
    const pg = location ? new PGlite(location) : new PGlite();
    await pg.waitReady;
    db = new PgliteDb(pg, release);
  }
  if (schema !== 'public') {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await db.query(`SET search_path TO ${quoteIdent(schema)}`);
  }
  return db;
}
