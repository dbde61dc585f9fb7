/**
 * Handoffs in PostgreSQL: queued → claimed → closed, with both sides' conversation references and
 * the Teams thread, so a restart or a second bot instance continues every open handoff.
 * State changes are single conditional UPDATEs, so two counsellors pressing "claim" at once (on one
 * instance or two) give exactly one winner.
 */
import crypto from 'node:crypto';
import type { ConversationReference } from 'botbuilder';
import type { Db } from '../storage/db';
import type { Cipher } from '../storage/crypto';
import type { SubjectDataStore } from '../privacy/subjectEraser';

export type HandoffState = 'queued' | 'claimed' | 'closed';

/** Why a student is handed to a person; shown to the counsellor. */
export type HandoffReason = 'asked' | 'lowConfidence' | 'distress' | 'afterReport';

export interface Handoff {
  id: string;
  subject: string;
  /** Pseudonymous label counsellors see, e.g. "Student 7F3K". */
  label: string;
  studentRef: Partial<ConversationReference>;
  lang: string;
  reason: HandoffReason;
  reportRef?: string;
  state: HandoffState;
  outOfHours: boolean;
  createdAt: Date;
  claimedAt?: Date;
  claimedById?: string;
  claimedByName?: string;
  closedAt?: Date;
  threadId?: string;
  threadRef?: Partial<ConversationReference>;
  cardActivityId?: string;
  timeoutNotifiedAt?: Date;
  awaitingMessage: boolean;
  requestedIn?: string;
}

interface Row {
  id: string;
  subject: string;
  label: string;
  student_ref: Partial<ConversationReference>;
  lang: string;
  reason: HandoffReason;
  report_ref: string | null;
  state: HandoffState;
  out_of_hours: boolean;
  created_at: Date;
  claimed_at: Date | null;
  claimed_by_id: string | null;
  claimed_by_name: string | null;
  closed_at: Date | null;
  thread_id: string | null;
  thread_ref: Partial<ConversationReference> | null;
  card_activity_id: string | null;
  timeout_notified_at: Date | null;
  awaiting_message: boolean;
  requested_in: string | null;
}

function toHandoff(r: Row): Handoff {
  return {
    id: r.id,
    subject: r.subject,
    label: r.label,
    studentRef: r.student_ref,
    lang: r.lang,
    reason: r.reason,
    reportRef: r.report_ref ?? undefined,
    state: r.state,
    outOfHours: r.out_of_hours,
    createdAt: r.created_at,
    claimedAt: r.claimed_at ?? undefined,
    claimedById: r.claimed_by_id ?? undefined,
    claimedByName: r.claimed_by_name ?? undefined,
    closedAt: r.closed_at ?? undefined,
    threadId: r.thread_id ?? undefined,
    threadRef: r.thread_ref ?? undefined,
    cardActivityId: r.card_activity_id ?? undefined,
    timeoutNotifiedAt: r.timeout_notified_at ?? undefined,
    awaitingMessage: r.awaiting_message,
    requestedIn: r.requested_in ?? undefined,
  };
}

const LABEL_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

export interface NewHandoff {
  subject: string;
  studentRef: Partial<ConversationReference>;
  lang: string;
  reason: HandoffReason;
  reportRef?: string;
  summary: string;
  outOfHours: boolean;
  /** Id of the student's message that asked, so a replayed turn recognises its own request. */
  requestedIn?: string;
}

export class HandoffStore implements SubjectDataStore {
  readonly name = 'handoffs';

  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Opens a handoff, or returns the one already open for this student (`created: false`). */
  async open(request: NewHandoff): Promise<{ handoff: Handoff; created: boolean }> {
    const label = `Student ${Array.from({ length: 4 }, () => LABEL_ALPHABET[crypto.randomInt(LABEL_ALPHABET.length)]).join('')}`;
    const { rows } = await this.db.query<Row>(
      `INSERT INTO handoffs (id, subject, label, student_ref, lang, reason, report_ref, state, summary_enc, out_of_hours, requested_in, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $10, $11)
       ON CONFLICT DO NOTHING RETURNING *`,
      [
        crypto.randomUUID(),
        request.subject,
        label,
        JSON.stringify(request.studentRef),
        request.lang,
        request.reason,
        request.reportRef ?? null,
        this.cipher.encrypt(request.summary),
        request.outOfHours,
        request.requestedIn ?? null,
        this.now(),
      ],
    );
    if (rows[0]) return { handoff: toHandoff(rows[0]), created: true };
    const existing = await this.openFor(request.subject);
    if (!existing) throw new Error('handoff could not be opened');
    return { handoff: existing, created: false };
  }

  async openFor(subject: string): Promise<Handoff | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT * FROM handoffs WHERE subject = $1 AND state <> 'closed'`, [subject]);
    return rows[0] ? toHandoff(rows[0]) : undefined;
  }

  async get(id: string): Promise<Handoff | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM handoffs WHERE id = $1', [id]);
    return rows[0] ? toHandoff(rows[0]) : undefined;
  }

  async byThread(threadId: string): Promise<Handoff | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM handoffs WHERE thread_id = $1', [threadId]);
    return rows[0] ? toHandoff(rows[0]) : undefined;
  }

  summary(handoff: Handoff): Promise<string> {
    return this.db
      .query<{ summary_enc: string | null }>('SELECT summary_enc FROM handoffs WHERE id = $1', [handoff.id])
      .then(({ rows }) => (rows[0]?.summary_enc ? this.cipher.decrypt(rows[0].summary_enc) : ''));
  }

  async setThread(id: string, threadId: string, threadRef: Partial<ConversationReference>, cardActivityId: string): Promise<void> {
    await this.db.query('UPDATE handoffs SET thread_id = $2, thread_ref = $3, card_activity_id = $4 WHERE id = $1', [
      id,
      threadId,
      JSON.stringify(threadRef),
      cardActivityId,
    ]);
  }

  /** Atomic: returns the claimed handoff, or undefined when it was not waiting any more. */
  async claim(id: string, counsellorId: string, counsellorName: string): Promise<Handoff | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE handoffs SET state = 'claimed', claimed_at = $4, claimed_by_id = $2, claimed_by_name = $3, awaiting_message = false
        WHERE id = $1 AND state = 'queued' RETURNING *`,
      [id, counsellorId, counsellorName, this.now()],
    );
    return rows[0] ? toHandoff(rows[0]) : undefined;
  }

  /** Atomic: closes an open handoff once; returns it, or undefined if it was already closed. */
  async close(id: string, by: string): Promise<Handoff | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE handoffs SET state = 'closed', closed_at = $3, closed_by = $2, awaiting_message = false
        WHERE id = $1 AND state <> 'closed' RETURNING *`,
      [id, by, this.now()],
    );
    return rows[0] ? toHandoff(rows[0]) : undefined;
  }

  async setAwaitingMessage(id: string, awaiting: boolean): Promise<void> {
    await this.db.query('UPDATE handoffs SET awaiting_message = $2 WHERE id = $1', [id, awaiting]);
  }

  async setSatisfaction(id: string, value: string): Promise<void> {
    await this.db.query('UPDATE handoffs SET satisfaction = $2 WHERE id = $1', [id, value]);
  }

  /** The most recently closed handoff of a student (the satisfaction question refers to it). */
  async lastClosedFor(subject: string): Promise<Handoff | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT * FROM handoffs WHERE subject = $1 AND state = 'closed' ORDER BY closed_at DESC LIMIT 1`, [subject]);
    return rows[0] ? toHandoff(rows[0]) : undefined;
  }

  /** Queued handoffs, oldest first. */
  async queue(): Promise<Handoff[]> {
    const { rows } = await this.db.query<Row>(`SELECT * FROM handoffs WHERE state <> 'closed' ORDER BY created_at`);
    return rows.map(toHandoff);
  }

  /** 1 for the first in line. */
  async positionOf(handoff: Handoff): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM handoffs WHERE state = 'queued' AND created_at <= $1`,
      [handoff.createdAt],
    );
    return Math.max(1, rows[0]?.n ?? 1);
  }

  /** Median wait (minutes) of the last 20 claims, or undefined when there is no history yet. */
  async typicalWaitMinutes(): Promise<number | undefined> {
    const { rows } = await this.db.query<{ minutes: number }>(
      `SELECT EXTRACT(EPOCH FROM (claimed_at - created_at)) / 60 AS minutes FROM handoffs
        WHERE claimed_at IS NOT NULL AND out_of_hours = false ORDER BY claimed_at DESC LIMIT 20`,
    );
    if (rows.length === 0) return undefined;
    const sorted = rows.map((r) => Number(r.minutes)).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  /** Marks waiting handoffs past the timeout as notified, once; returns those to notify now. */
  async takeTimedOut(timeoutMinutes: number): Promise<Handoff[]> {
    const cutoff = new Date(this.now().getTime() - timeoutMinutes * 60_000);
    const { rows } = await this.db.query<Row>(
      `UPDATE handoffs SET timeout_notified_at = $2
        WHERE state = 'queued' AND timeout_notified_at IS NULL AND out_of_hours = false AND created_at < $1
        RETURNING *`,
      [cutoff, this.now()],
    );
    return rows.map(toHandoff);
  }

  async eraseSubject(subject: string): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM handoffs WHERE subject = $1', [subject]);
    return rowCount;
  }
}
