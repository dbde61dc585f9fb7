/**
 * Runs the embedded PGlite database in a worker thread.
 *
 * PGlite is PostgreSQL compiled to WebAssembly: every query runs synchronously on the thread that
 * owns it. On the main thread that work (about half of a turn's CPU time) would block every other
 * conversation; in a worker it runs beside the bot, on another core. The main thread talks to it
 * with small messages: a query, or a transaction (begin, its queries, commit or rollback).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';

export type WorkerRequest =
  | { id: number; type: 'query'; sql: string; params: unknown[]; txId?: number }
  | { id: number; type: 'begin'; txId: number }
  | { id: number; type: 'end'; txId: number; commit: boolean }
  | { id: number; type: 'close' };

export type WorkerResponse =
  | { id: number; ok: true; rows?: unknown[]; rowCount?: number }
  | { id: number; ok: false; error: { message: string; code?: string } };

export interface WorkerOptions {
  /** PGlite data folder, or undefined for memory. */
  location?: string;
}

interface OpenTransaction {
  tx?: Transaction;
  /** Resolves the transaction: true commits, false rolls back. */
  finish?: (commit: boolean) => void;
  /** Settles when PGlite has committed or rolled back. */
  done?: Promise<void>;
}

/** Thrown inside PGlite's transaction callback to make it roll back. */
class Rollback extends Error {}

async function serve(options: WorkerOptions): Promise<void> {
  const port = parentPort!;
  const pg = options.location ? new PGlite(options.location) : new PGlite();
  await pg.waitReady;
  const transactions = new Map<number, OpenTransaction>();
  const reply = (message: WorkerResponse) => port.postMessage(message);
  const fail = (id: number, err: unknown) => {
    const e = err as { message?: string; code?: string };
    reply({ id, ok: false, error: { message: e?.message ?? String(err), code: e?.code } });
  };

  port.on('message', (request: WorkerRequest) => {
    switch (request.type) {
      case 'query': {
        const runner = request.txId !== undefined ? transactions.get(request.txId)?.tx : pg;
        if (!runner) return fail(request.id, new Error('no such transaction'));
        runner
          .query(request.sql, request.params)
          .then((result) => reply({ id: request.id, ok: true, rows: result.rows, rowCount: result.affectedRows || result.rows.length }))
          .catch((err: unknown) => fail(request.id, err));
        return;
      }
      case 'begin': {
        const entry: OpenTransaction = {};
        let begun = false;
        entry.done = pg
          .transaction(async (tx) => {
            entry.tx = tx;
            const decision = new Promise<boolean>((resolve) => (entry.finish = resolve));
            transactions.set(request.txId, entry);
            begun = true;
            reply({ id: request.id, ok: true });
            if (!(await decision)) throw new Rollback();
          })
          .catch((err: unknown) => {
            if (!(err instanceof Rollback)) throw err;
          })
          .finally(() => transactions.delete(request.txId));
        entry.done.catch((err: unknown) => {
          if (!begun) fail(request.id, err);
        });
        return;
      }
      case 'end': {
        const open = transactions.get(request.txId);
        if (!open?.finish || !open.done) return fail(request.id, new Error('no such transaction'));
        open.finish(request.commit);
        open.done.then(() => reply({ id: request.id, ok: true })).catch((err: unknown) => fail(request.id, err));
        return;
      }
      case 'close':
        pg.close()
          .then(() => reply({ id: request.id, ok: true }))
          .catch((err: unknown) => fail(request.id, err));
        return;
    }
  });
  port.postMessage({ id: 0, ok: true });
}

if (!isMainThread && (workerData as { pgliteWorker?: boolean } | undefined)?.pgliteWorker) {
  void serve(workerData as WorkerOptions);
}
