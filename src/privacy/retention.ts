/**
 * Retention for what is not a report (reports and drafts: ReportStore.cleanup):
 * - conversation state (it holds a student's last few messages, encrypted) and its erasure keys,
 *   after DRAFT_RETENTION_DAYS without a message;
 * - closed handoffs (their encrypted summary), after REPORT_RETENTION_DAYS;
 * - WhatsApp contacts (the encrypted number), after REPORT_RETENTION_DAYS without a message, unless a
 *   handoff is still open for that student.
 */
import type { Db } from '../storage/db';
import type { Logger } from '../logger';

export interface RetentionPolicy {
  stateDays: number;
  recordDays: number;
}

export async function removeExpiredConversations(db: Db, policy: RetentionPolicy, now: Date, logger: Logger): Promise<Record<string, number>> {
  const day = 86_400_000;
  const stateCutoff = new Date(now.getTime() - policy.stateDays * day);
  const recordCutoff = new Date(now.getTime() - policy.recordDays * day);
  const removed = await db.transaction(async (tx) => {
    const states = await tx.query<{ key: string }>('DELETE FROM bot_state WHERE updated_at < $1 RETURNING key', [stateCutoff]);
    if (states.rows.length > 0) {
      await tx.query('DELETE FROM subject_keys WHERE state_key = ANY($1::text[])', [states.rows.map((r) => r.key)]);
    }
    const handoffs = await tx.query(`DELETE FROM handoffs WHERE state = 'closed' AND closed_at < $1`, [recordCutoff]);
    const contacts = await tx.query(
      `DELETE FROM wa_contacts c WHERE coalesce(c.last_inbound_at, c.created_at) < $1
         AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.subject = c.subject AND h.state <> 'closed')`,
      [recordCutoff],
    );
    return { conversations: states.rows.length, handoffs: handoffs.rowCount, whatsappContacts: contacts.rowCount };
  });
  if (Object.values(removed).some((n) => n > 0)) logger.info({ event: 'retention_cleanup', ...removed }, 'expired conversation data removed');
  return removed;
}
