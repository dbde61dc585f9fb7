/**
 * Versioned schema migrations, run at start-up. Append new migrations at the end; never edit one
 * that has shipped. The same SQL runs on PGlite and on PostgreSQL.
 */
import type { Db } from './db';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'bot state and settings',
    sql: `
      CREATE TABLE bot_state (
        key        text PRIMARY KEY,
        data       jsonb NOT NULL,
        etag       text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX bot_state_updated_at ON bot_state (updated_at);
      CREATE TABLE settings (
        key        text PRIMARY KEY,
        value      jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'reports, drafts, events and anonymous counters',
    sql: `
      CREATE TABLE report_drafts (
        id         uuid PRIMARY KEY,
        owner      text NOT NULL,
        lang       text NOT NULL,
        data_enc   text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX report_drafts_owner ON report_drafts (owner);
      CREATE TABLE reports (
        id           uuid PRIMARY KEY,
        ref          text NOT NULL UNIQUE,
        owner        text NOT NULL,
        draft_id     uuid NOT NULL UNIQUE,
        status       text NOT NULL,
        lang         text NOT NULL,
        facts        jsonb NOT NULL,
        consent      jsonb,
        data_enc     text NOT NULL,
        submitted_at timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        notified_at  timestamptz
      );
      CREATE INDEX reports_owner ON reports (owner);
      CREATE INDEX reports_submitted_at ON reports (submitted_at);
      CREATE TABLE report_events (
        id        bigserial PRIMARY KEY,
        report_id uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        type      text NOT NULL,
        status    text,
        actor     text NOT NULL,
        note_enc  text,
        at        timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX report_events_report ON report_events (report_id, at);
      CREATE TABLE report_counters (
        month date NOT NULL,
        event text NOT NULL,
        count integer NOT NULL DEFAULT 0,
        PRIMARY KEY (month, event)
      );
    `,
  },
  {
    version: 3,
    name: 'evidence files and the state keys of each student',
    sql: `
      CREATE TABLE media (
        id           uuid PRIMARY KEY,
        owner        text NOT NULL,
        draft_id     uuid,
        report_id    uuid REFERENCES reports (id) ON DELETE CASCADE,
        content_type text NOT NULL,
        bytes        integer NOT NULL,
        data_enc     text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX media_owner ON media (owner);
      CREATE INDEX media_draft ON media (draft_id);
      CREATE TABLE subject_keys (
        subject    text NOT NULL,
        state_key  text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subject, state_key)
      );
    `,
  },
];

/** Applies pending migrations in one transaction, guarded by an advisory lock so two instances starting at once don't race. */
export async function migrate(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('stagemaatje.migrations'))`);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      done.push(migration.version);
    }
    return done;
  });
}

/** Extended-protocol queries take one statement each; our migrations never put ';' inside a literal. */
function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Every table the application owns, for erasure scans and test clean-up. */
export async function listTables(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}
