/**
 * botbuilder `Storage` on the bot_state table: one JSONB row per storage key, with an eTag that is
 * checked when a real eTag is given. Contents are sealed with the Cipher, so the raw table never shows
 * what a student typed (dialog state can hold their answers for a moment).
 */
import crypto from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Db } from './db';
import type { Cipher } from './crypto';

/** eTag value meaning "this item must not exist yet" (first save of a new conversation). */
export const NEW_ITEM_ETAG = 'new';

export class ETagConflictError extends Error {
  readonly code = 'ETAG_CONFLICT';
  constructor(readonly key: string) {
    super(`Storage: error writing "${key}" due to eTag conflict.`);
    this.name = 'ETagConflictError';
  }
}

export function isETagConflict(err: unknown): err is ETagConflictError {
  return err instanceof ETagConflictError || (err as { code?: string } | undefined)?.code === 'ETAG_CONFLICT';
}

interface Row {
  key: string;
  data: { sealed?: string } & Record<string, unknown>;
  etag: string;
}

export class PgStorage implements Storage {
  constructor(
    private readonly db: Db,
    private readonly cipher?: Cipher,
  ) {}

  async read(keys: string[]): Promise<StoreItems> {
    if (keys.length === 0) return {};
    const { rows } = await this.db.query<Row>('SELECT key, data, etag FROM bot_state WHERE key = ANY($1::text[])', [keys]);
    const items: StoreItems = {};
    for (const row of rows) {
      const data = this.open(row.data);
      items[row.key] = { ...data, eTag: row.etag };
    }
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...data } = (item ?? {}) as { eTag?: string } & Record<string, unknown>;
      const sealed = this.seal(data);
      const newETag = crypto.randomUUID();
      if (!eTag || eTag === '*') {
        await this.db.query(
          `INSERT INTO bot_state (key, data, etag, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, etag = EXCLUDED.etag, updated_at = now()`,
          [key, sealed, newETag],
        );
      } else if (eTag === NEW_ITEM_ETAG) {
        const result = await this.db.query(
          `INSERT INTO bot_state (key, data, etag, updated_at) VALUES ($1, $2, $3, now()) ON CONFLICT (key) DO NOTHING`,
          [key, sealed, newETag],
        );
        if (result.rowCount === 0) throw new ETagConflictError(key);
      } else {
        // A row that vanished since it was read (erased) is a conflict too: the turn must start again.
        const result = await this.db.query(
          `UPDATE bot_state SET data = $2, etag = $3, updated_at = now() WHERE key = $1 AND etag = $4`,
          [key, sealed, newETag, eTag],
        );
        if (result.rowCount === 0) throw new ETagConflictError(key);
      }
      if (item) item.eTag = newETag;
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.query('DELETE FROM bot_state WHERE key = ANY($1::text[])', [keys]);
  }

  private seal(data: Record<string, unknown>): string {
    return JSON.stringify(this.cipher ? { sealed: this.cipher.encryptJson(data) } : data);
  }

  private open(stored: Row['data']): Record<string, unknown> {
    if (typeof stored.sealed === 'string') {
      if (!this.cipher) throw new Error('bot state is encrypted but no key is configured');
      return this.cipher.decryptJson(stored.sealed);
    }
    return stored;
  }
}
