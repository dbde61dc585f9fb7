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
  {
    version: 4,
    name: 'WhatsApp contacts, inbound messages (dedupe and crash recovery), outbound messages',
    sql: `
      CREATE TABLE wa_contacts (
        user_id         text PRIMARY KEY,
        subject         text NOT NULL,
        wa_id_enc       text NOT NULL,
        bsuid_enc       text,
        last_inbound_at timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX wa_contacts_subject ON wa_contacts (subject);
      CREATE TABLE wa_inbox (
        message_id  text PRIMARY KEY,
        user_id     text NOT NULL,
        seq         bigserial,
        sent_at     timestamptz,
        received_at timestamptz NOT NULL DEFAULT now(),
        payload_enc text,
        lease_until timestamptz,
        attempts    integer NOT NULL DEFAULT 0,
        done_at     timestamptz
      );
      CREATE INDEX wa_inbox_pending ON wa_inbox (user_id, sent_at, seq) WHERE done_at IS NULL;
      CREATE INDEX wa_inbox_done ON wa_inbox (done_at);
      CREATE TABLE wa_outbound (
        wamid      text PRIMARY KEY,
        user_id    text NOT NULL,
        sent_at    timestamptz NOT NULL DEFAULT now(),
        origin     jsonb,
        status     text NOT NULL DEFAULT 'accepted',
        status_at  timestamptz,
        error_code integer
      );
      CREATE INDEX wa_outbound_user ON wa_outbound (user_id);
    `,
  },
  {
    version: 5,
    name: 'counsellor handoffs',
    sql: `
      CREATE TABLE handoffs (
        id                  uuid PRIMARY KEY,
        subject             text NOT NULL,
        label               text NOT NULL,
        student_ref         jsonb NOT NULL,
        lang                text NOT NULL,
        reason              text NOT NULL,
        report_ref          text,
        state               text NOT NULL,
        summary_enc         text,
        out_of_hours        boolean NOT NULL DEFAULT false,
        created_at          timestamptz NOT NULL DEFAULT now(),
        claimed_at          timestamptz,
        claimed_by_id       text,
        claimed_by_name     text,
        closed_at           timestamptz,
        closed_by           text,
        thread_id           text UNIQUE,
        thread_ref          jsonb,
        card_activity_id    text,
        timeout_notified_at timestamptz,
        awaiting_message    boolean NOT NULL DEFAULT false,
        requested_in        text,
        satisfaction        text
      );
      CREATE UNIQUE INDEX handoffs_one_open ON handoffs (subject) WHERE state <> 'closed';
      CREATE INDEX handoffs_state ON handoffs (state, created_at);
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
