/**
 * Reports, drafts, evidence files and report events in PostgreSQL.
 *
 * - Everything a student typed (and every file) is encrypted at rest; only codes (role, moment,
 *   grounds...) and dates are stored in the clear, so the raw tables never show a student's words.
 * - A draft is saved after every answer, so nothing is lost when the student stops or the process dies.
 * - Submitting is idempotent per draft: a double tap on "send" gives one report.
 * - Erasure removes the report, its events, drafts and files, and only increments an anonymous counter.
 */
import crypto from 'node:crypto';
import type { Db, Queryable } from '../storage/db';
import type { Cipher } from '../storage/crypto';
import type { Logger } from '../logger';
import {
  REPORT_STATUSES,
  draftSchema,
  splitSubmission,
  submissionSchema,
  type Draft,
  type FileRef,
  type ReportContent,
  type ReportFacts,
  type ReportStatus,
  type ConsentRecord,
} from './model';
import { newReference } from './reference';
import type { SubjectDataStore } from '../privacy/subjectEraser';

/** What counsellors are told about a new report without identifying the student. */
export interface ReportSummary {
  ref: string;
  lang: string;
  submittedAt: Date;
  facts: ReportFacts;
}

/** Where new reports are announced (the Teams counsellor channel, see src/handoff). */
export interface ReportNotifier {
  reportSubmitted(summary: ReportSummary): Promise<void>;
}

export interface ReportOverview {
  ref: string;
  status: ReportStatus;
  submittedAt: Date;
  updatedAt: Date;
}

export interface ReportEvent {
  type: string;
  status?: string;
  actor: string;
  at: Date;
  note?: string;
}

export interface FullReport extends ReportOverview {
  id: string;
  lang: string;
  facts: ReportFacts;
  consent?: ConsentRecord;
  content: ReportContent;
  events: ReportEvent[];
}

export class SubmissionError extends Error {
  constructor(readonly issues: string[]) {
    super(`the report is not complete: ${issues.join('; ')}`);
    this.name = 'SubmissionError';
  }
}

export interface ReportStoreOptions {
  retentionDays: number;
  draftRetentionDays: number;
  /** Largest evidence file kept, in bytes. */
  maxFileBytes: number;
}

interface ReportRow {
  id: string;
  ref: string;
  status: ReportStatus;
  lang: string;
  facts: ReportFacts;
  consent: ConsentRecord | null;
  data_enc: string;
  submitted_at: Date;
  updated_at: Date;
}

export class ReportStore implements SubjectDataStore {
  readonly name = 'reports';

  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
    readonly options: ReportStoreOptions,
    private readonly logger: Logger,
    private notifier?: ReportNotifier,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Connects the counsellor channel once it exists (it is built after the store). */
  setNotifier(notifier: ReportNotifier): void {
    this.notifier = notifier;
  }

  // ---- drafts -------------------------------------------------------------------------------

  async saveDraft(owner: string, draftId: string, lang: string, draft: Draft): Promise<void> {
    const valid = draftSchema.parse(draft);
    await this.db.query(
      `INSERT INTO report_drafts (id, owner, lang, data_enc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (id) DO UPDATE SET lang = EXCLUDED.lang, data_enc = EXCLUDED.data_enc, updated_at = EXCLUDED.updated_at`,
      [draftId, owner, lang, this.cipher.encryptJson(valid), this.now()],
    );
  }

  async loadDraft(draftId: string): Promise<{ owner: string; lang: string; draft: Draft; updatedAt: Date } | undefined> {
    const { rows } = await this.db.query<{ owner: string; lang: string; data_enc: string; updated_at: Date }>(
      'SELECT owner, lang, data_enc, updated_at FROM report_drafts WHERE id = $1',
      [draftId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { owner: row.owner, lang: row.lang, draft: draftSchema.parse(this.cipher.decryptJson(row.data_enc)), updatedAt: row.updated_at };
  }

  /** The student's most recent unfinished report, if it has not expired. */
  async latestDraft(owner: string): Promise<{ id: string; updatedAt: Date } | undefined> {
    const { rows } = await this.db.query<{ id: string; updated_at: Date }>(
      `SELECT id, updated_at FROM report_drafts WHERE owner = $1 AND updated_at > $2 ORDER BY updated_at DESC LIMIT 1`,
      [owner, this.draftCutoff()],
    );
    return rows[0] ? { id: rows[0].id, updatedAt: rows[0].updated_at } : undefined;
  }

  async hasOpenDraft(owner: string): Promise<boolean> {
    return (await this.latestDraft(owner)) !== undefined;
  }

  async deleteDraft(draftId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM media WHERE draft_id = $1 AND report_id IS NULL', [draftId]);
      await tx.query('DELETE FROM report_drafts WHERE id = $1', [draftId]);
    });
  }

  // ---- evidence files ------------------------------------------------------------------------

  /** Keeps an evidence file that belongs to a draft (it moves to the report on submit). */
  async storeMedia(owner: string, draftId: string, contentType: string, data: Buffer): Promise<FileRef> {
    if (data.length > this.options.maxFileBytes) throw new RangeError('file too large');
    const id = crypto.randomUUID();
    await this.db.query(
      `INSERT INTO media (id, owner, draft_id, content_type, bytes, data_enc) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, owner, draftId, contentType.slice(0, 200), data.length, this.cipher.encryptBytes(data)],
    );
    return { mediaId: id, contentType: contentType.slice(0, 200), bytes: data.length };
  }

  async readMedia(id: string): Promise<{ contentType: string; data: Buffer } | undefined> {
    const { rows } = await this.db.query<{ content_type: string; data_enc: string }>('SELECT content_type, data_enc FROM media WHERE id = $1', [id]);
    const row = rows[0];
    return row ? { contentType: row.content_type, data: this.cipher.decryptBytes(row.data_enc) } : undefined;
  }

  // ---- submitting ----------------------------------------------------------------------------

  /**
   * Turns a complete draft into a report. Idempotent: submitting the same draft again returns
   * the existing reference (`created: false`). The draft is removed in the same transaction.
   */
  async submit(owner: string, draftId: string, lang: string, draft: Draft): Promise<{ ref: string; created: boolean }> {
    const existing = await this.refForDraft(draftId);
    if (existing) return { ref: existing, created: false };
    const parsed = submissionSchema.safeParse(draft);
    if (!parsed.success) throw new SubmissionError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    const { facts, content } = splitSubmission(parsed.data);
    const submittedAt = this.now();

    for (let attempt = 0; attempt < 5; attempt++) {
      const ref = newReference();
      const id = crypto.randomUUID();
      const outcome = await this.db.transaction(async (tx) => {
        const inserted = await tx.query<{ id: string }>(
          `INSERT INTO reports (id, ref, owner, draft_id, status, lang, facts, consent, data_enc, submitted_at, updated_at)
           VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $9)
           ON CONFLICT DO NOTHING RETURNING id`,
          [id, ref, owner, draftId, lang, JSON.stringify(facts), JSON.stringify(parsed.data.consent), this.cipher.encryptJson(content), submittedAt],
        );
        if (inserted.rowCount === 0) return undefined;
        await tx.query(`INSERT INTO report_events (report_id, type, status, actor, at) VALUES ($1, 'submitted', 'received', 'student', $2)`, [id, submittedAt]);
        await tx.query('UPDATE media SET report_id = $1, draft_id = NULL WHERE draft_id = $2', [id, draftId]);
        await tx.query('DELETE FROM report_drafts WHERE id = $1', [draftId]);
        return ref;
      });
      if (outcome) {
        this.logger.info({ event: 'report_submitted', ref: outcome, lang }, 'report submitted');
        await this.announce(outcome);
        return { ref: outcome, created: true };
      }
      // Either the draft was submitted concurrently, or (very rarely) the random ref was taken.
      const concurrent = await this.refForDraft(draftId);
      if (concurrent) return { ref: concurrent, created: false };
    }
    throw new Error('could not allocate a reference number');
  }

  private async refForDraft(draftId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ ref: string }>('SELECT ref FROM reports WHERE draft_id = $1', [draftId]);
    return rows[0]?.ref;
  }

  /** Tells the counsellors about a report; a failure is retried by `announcePending`. */
  private async announce(ref: string): Promise<void> {
    if (!this.notifier) return;
    const { rows } = await this.db.query<ReportRow>('SELECT * FROM reports WHERE ref = $1 AND notified_at IS NULL', [ref]);
    const row = rows[0];
    if (!row) return;
    try {
      await this.notifier.reportSubmitted({ ref: row.ref, lang: row.lang, submittedAt: row.submitted_at, facts: row.facts });
      await this.db.query('UPDATE reports SET notified_at = $2 WHERE id = $1', [row.id, this.now()]);
    } catch (err) {
      this.logger.warn({ event: 'report_notify_failed', ref, err: (err as Error).message }, 'could not announce the report; will retry');
    }
  }

  /** Retries announcements that failed earlier (runs on a schedule). */
  async announcePending(): Promise<number> {
    if (!this.notifier) return 0;
    const { rows } = await this.db.query<{ ref: string }>('SELECT ref FROM reports WHERE notified_at IS NULL ORDER BY submitted_at LIMIT 20');
    for (const row of rows) await this.announce(row.ref);
    return rows.length;
  }

  // ---- what students can do with their reports ------------------------------------------------

  async listForOwner(owner: string): Promise<ReportOverview[]> {
    const { rows } = await this.db.query<ReportRow>('SELECT * FROM reports WHERE owner = $1 ORDER BY submitted_at DESC', [owner]);
    return rows.map(overview);
  }

  async findForOwner(owner: string, ref: string): Promise<ReportOverview | undefined> {
    const { rows } = await this.db.query<ReportRow>('SELECT * FROM reports WHERE owner = $1 AND ref = $2', [owner, ref]);
    return rows[0] ? overview(rows[0]) : undefined;
  }

  /** Adds a student's extra text and files to their report. Returns false if it is not theirs. */
  async addInformation(owner: string, ref: string, note: string, files: Array<{ contentType: string; data: Buffer }>): Promise<boolean> {
    const tooLarge = files.find((f) => f.data.length > this.options.maxFileBytes);
    if (tooLarge) throw new RangeError('file too large');
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>('SELECT id FROM reports WHERE owner = $1 AND ref = $2 FOR UPDATE', [owner, ref]);
      const id = rows[0]?.id;
      if (!id) return false;
      const at = this.now();
      const refs: FileRef[] = [];
      for (const file of files) {
        const mediaId = crypto.randomUUID();
        await tx.query(
          `INSERT INTO media (id, owner, report_id, content_type, bytes, data_enc) VALUES ($1, $2, $3, $4, $5, $6)`,
          [mediaId, owner, id, file.contentType.slice(0, 200), file.data.length, this.cipher.encryptBytes(file.data)],
        );
        refs.push({ mediaId, contentType: file.contentType.slice(0, 200), bytes: file.data.length });
      }
      await tx.query(`INSERT INTO report_events (report_id, type, actor, note_enc, at) VALUES ($1, 'information_added', 'student', $2, $3)`, [
        id,
        this.cipher.encryptJson({ note, files: refs }),
        at,
      ]);
      await tx.query('UPDATE reports SET updated_at = $2 WHERE id = $1', [id, at]);
      return true;
    });
  }

  async withdraw(owner: string, ref: string): Promise<boolean> {
    return this.changeStatus({ owner }, ref, 'withdrawn', 'student');
  }

  /** Erases one report of this owner (or all of them), leaving only an anonymous count. */
  async eraseForOwner(owner: string, ref?: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; submitted_at: Date }>(
        ref ? 'SELECT id, submitted_at FROM reports WHERE owner = $1 AND ref = $2' : 'SELECT id, submitted_at FROM reports WHERE owner = $1',
        ref ? [owner, ref] : [owner],
      );
      await this.eraseRows(tx, rows, 'erased');
      if (!ref) {
        await tx.query('DELETE FROM media WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM report_drafts WHERE owner = $1', [owner]);
      }
      return rows.length;
    });
  }

  /** Erasure by subject: all reports, drafts and files of this student. */
  eraseSubject(owner: string): Promise<number> {
    return this.eraseForOwner(owner);
  }

  private async eraseRows(tx: Queryable, rows: Array<{ id: string; submitted_at: Date }>, counter: 'erased' | 'expired'): Promise<void> {
    for (const row of rows) {
      await tx.query('DELETE FROM media WHERE report_id = $1', [row.id]);
      await tx.query('DELETE FROM reports WHERE id = $1', [row.id]); // events go with it (ON DELETE CASCADE)
      await tx.query(
        `INSERT INTO report_counters (month, event, count) VALUES (date_trunc('month', $1::timestamptz)::date, $2, 1)
         ON CONFLICT (month, event) DO UPDATE SET count = report_counters.count + 1`,
        [row.submitted_at, counter],
      );
    }
  }

  // ---- counsellors' tool -----------------------------------------------------------------------

  async list(): Promise<Array<ReportOverview & { lang: string; facts: ReportFacts }>> {
    const { rows } = await this.db.query<ReportRow>('SELECT * FROM reports ORDER BY submitted_at DESC');
    return rows.map((r) => ({ ...overview(r), lang: r.lang, facts: r.facts }));
  }

  async show(ref: string): Promise<FullReport | undefined> {
    const { rows } = await this.db.query<ReportRow>('SELECT * FROM reports WHERE ref = $1', [ref]);
    const row = rows[0];
    return row ? this.full(row) : undefined;
  }

  async export(since?: Date): Promise<FullReport[]> {
    const { rows } = await this.db.query<ReportRow>(
      'SELECT * FROM reports WHERE submitted_at >= $1 ORDER BY submitted_at',
      [since ?? new Date(0)],
    );
    return Promise.all(rows.map((r) => this.full(r)));
  }

  async setStatus(ref: string, status: ReportStatus, actor: string, note?: string): Promise<boolean> {
    return this.changeStatus({}, ref, status, actor, note);
  }

  /** The pseudonymous student who made a report (for erasure of everything about them). */
  async ownerOf(ref: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ owner: string }>('SELECT owner FROM reports WHERE ref = $1', [ref]);
    return rows[0]?.owner;
  }

  async erase(ref: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; submitted_at: Date }>('SELECT id, submitted_at FROM reports WHERE ref = $1', [ref]);
      await this.eraseRows(tx, rows, 'erased');
      return rows.length > 0;
    });
  }

  async counters(): Promise<Array<{ month: string; event: string; count: number }>> {
    const { rows } = await this.db.query<{ month: string; event: string; count: number }>(
      `SELECT to_char(month, 'YYYY-MM') AS month, event, count FROM report_counters ORDER BY month, event`,
    );
    return rows;
  }

  private async changeStatus(scope: { owner?: string }, ref: string, status: ReportStatus, actor: string, note?: string): Promise<boolean> {
    if (!REPORT_STATUSES.includes(status)) throw new RangeError(`unknown status ${status}`);
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        scope.owner ? 'SELECT id FROM reports WHERE ref = $1 AND owner = $2 FOR UPDATE' : 'SELECT id FROM reports WHERE ref = $1 FOR UPDATE',
        scope.owner ? [ref, scope.owner] : [ref],
      );
      const id = rows[0]?.id;
      if (!id) return false;
      const at = this.now();
      await tx.query('UPDATE reports SET status = $2, updated_at = $3 WHERE id = $1', [id, status, at]);
      await tx.query(
        `INSERT INTO report_events (report_id, type, status, actor, note_enc, at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, status === 'withdrawn' ? 'withdrawn' : 'status_changed', status, actor, note ? this.cipher.encryptJson({ note }) : null, at],
      );
      return true;
    });
  }

  private async full(row: ReportRow): Promise<FullReport> {
    const { rows } = await this.db.query<{ type: string; status: string | null; actor: string; note_enc: string | null; at: Date }>(
      'SELECT type, status, actor, note_enc, at FROM report_events WHERE report_id = $1 ORDER BY at, id',
      [row.id],
    );
    return {
      ...overview(row),
      id: row.id,
      lang: row.lang,
      facts: row.facts,
      consent: row.consent ?? undefined,
      content: this.cipher.decryptJson<ReportContent>(row.data_enc),
      events: rows.map((e) => ({
        type: e.type,
        status: e.status ?? undefined,
        actor: e.actor,
        at: e.at,
        note: e.note_enc ? this.cipher.decryptJson<{ note: string }>(e.note_enc).note : undefined,
      })),
    };
  }

  // ---- retention -------------------------------------------------------------------------------

  private draftCutoff(): Date {
    return new Date(this.now().getTime() - this.options.draftRetentionDays * 86_400_000);
  }

  /** Removes reports past REPORT_RETENTION_DAYS and drafts past DRAFT_RETENTION_DAYS. */
  async cleanup(): Promise<{ reports: number; drafts: number }> {
    const reportCutoff = new Date(this.now().getTime() - this.options.retentionDays * 86_400_000);
    const reports = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; submitted_at: Date }>('SELECT id, submitted_at FROM reports WHERE submitted_at < $1', [reportCutoff]);
      await this.eraseRows(tx, rows, 'expired');
      return rows.length;
    });
    const drafts = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>('DELETE FROM report_drafts WHERE updated_at < $1 RETURNING id', [this.draftCutoff()]);
      await tx.query('DELETE FROM media WHERE report_id IS NULL AND created_at < $1', [this.draftCutoff()]);
      return rows.length;
    });
    if (reports + drafts > 0) this.logger.info({ event: 'retention_cleanup', reports, drafts }, 'expired reports and drafts removed');
    return { reports, drafts };
  }
}

function overview(row: ReportRow): ReportOverview {
  return { ref: row.ref, status: row.status, submittedAt: row.submitted_at, updatedAt: row.updated_at };
}
