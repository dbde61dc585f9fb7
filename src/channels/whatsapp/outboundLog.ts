/**
 * Messages we sent (wa_outbound), so a later status webhook can be matched to a student and to
 * whatever sent the message (`origin`, e.g. a handoff). Statuses arrive out of order and more than
 * once; the status only ever moves forward (accepted → sent → delivered → read, or failed).
 */
import type { Db } from '../../storage/db';
import type { Cipher } from '../../storage/crypto';
import { messageKey } from './inbox';

const RANK_SQL = `CASE status WHEN 'accepted' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END`;
const RANKS: Record<string, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

export interface StatusChange {
  userId: string;
  origin?: unknown;
  status: string;
  code?: number;
}

export class WhatsAppOutboundLog {
  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
  ) {}

  /**
   * Records an accepted message. Only for a known contact: the reply that confirms an erasure must
   * not leave a new trace of the student behind.
   */
  async record(wamid: string, userId: string, origin: unknown): Promise<string> {
    const key = messageKey(this.cipher, wamid);
    await this.db.query(
      `INSERT INTO wa_outbound (wamid, user_id, origin)
       SELECT $1, $2, $3::jsonb WHERE EXISTS (SELECT 1 FROM wa_contacts WHERE user_id = $2)
       ON CONFLICT (wamid) DO NOTHING`,
      [key, userId, origin === undefined ? null : JSON.stringify(origin)],
    );
    return key;
  }

  /** Applies a status webhook. Returns the change when it moved the status forward (else undefined). */
  async applyStatus(wamid: string, status: string, at: Date, code?: number): Promise<StatusChange | undefined> {
    const rank = RANKS[status];
    if (rank === undefined) return undefined;
    const { rows } = await this.db.query<{ user_id: string; origin: unknown }>(
      `UPDATE wa_outbound SET status = $2, status_at = $3, error_code = $4
        WHERE wamid = $1 AND ${RANK_SQL} < $5
        RETURNING user_id, origin`,
      [messageKey(this.cipher, wamid), status, at, code ?? null, rank],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { userId: row.user_id, ...(row.origin !== null && row.origin !== undefined ? { origin: row.origin } : {}), status, ...(code !== undefined ? { code } : {}) };
  }

  async cleanup(sentBefore: Date): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM wa_outbound WHERE sent_at < $1', [sentBefore]);
    return rowCount;
  }
}
