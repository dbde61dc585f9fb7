/**
 * Erasure on request ("verwijder mijn gegevens" in the chat, or a counsellor's CLI command):
 * removes everything about one student from every store. Each feature that keeps data about a
 * student registers a SubjectDataStore here, so erasure cannot silently miss a table.
 */
import type { Db } from '../storage/db';
import type { Logger } from '../logger';

export interface SubjectDataStore {
  /** A short name for logs, e.g. "reports". */
  readonly name: string;
  eraseSubject(subjectId: string): Promise<number>;
}

/** Conversation and user state rows, found through the keys recorded per student. */
export class StateKeyRegistry implements SubjectDataStore {
  readonly name = 'conversation state';

  constructor(private readonly db: Db) {}

  /** Records which state rows belong to a student (cheap, idempotent; runs every turn). */
  async record(subjectId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.query(
      `INSERT INTO subject_keys (subject, state_key) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
      [subjectId, keys],
    );
  }

  async eraseSubject(subjectId: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { rowCount } = await tx.query(`DELETE FROM bot_state WHERE key IN (SELECT state_key FROM subject_keys WHERE subject = $1)`, [subjectId]);
      await tx.query('DELETE FROM subject_keys WHERE subject = $1', [subjectId]);
      return rowCount;
    });
  }
}

export class SubjectEraser {
  private readonly stores: SubjectDataStore[] = [];

  constructor(private readonly logger: Logger) {}

  register(store: SubjectDataStore): void {
    this.stores.push(store);
  }

  async erase(subjectId: string): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    for (const store of this.stores) removed[store.name] = await store.eraseSubject(subjectId);
    this.logger.info({ event: 'subject_erased', subject: subjectId, removed }, 'all data of a student erased on request');
    return removed;
  }
}
