/**
 * Inbound messages in PostgreSQL (wa_inbox): the dedupe record and the work queue in one table.
 *
 * - Store: `INSERT … ON CONFLICT DO NOTHING` on the message key is an atomic claim of the id, so
 *   duplicate and concurrent deliveries of one message make one row, whatever the timing.
 * - Claim: the oldest pending row of a student is leased (`lease_until`) by one process at a time,
 *   and only when no older message of that student is pending: turns of one student run in order.
 * - Done: after the turn (state saved, replies sent) the row is marked done and its payload
 *   dropped; the key stays for dedupe until cleanup (Meta retries for up to 7 days).
 * - A process that dies mid-turn leaves its lease; once it expires, the row can be claimed again.
 *
 * The key is a keyed hash of Meta's message id, not the id itself: a wamid is base64 of a structure
 * that holds the student's phone number.
 */
import type { Activity } from 'botbuilder';
import type { Db } from '../../storage/db';
import type { Cipher } from '../../storage/crypto';
import type { InboundMessage } from './webhookPayload';

/** Replies of a turn that finished, kept until all of them are sent (see WhatsAppAdapter). */
export interface PendingReplies {
  activities: Array<Partial<Activity>>;
  /** How many planned WhatsApp messages were accepted by Meta already. */
  sent: number;
}

export interface InboxPayload {
  message: InboundMessage;
  replies?: PendingReplies;
}

export interface ClaimedMessage {
  key: string;
  userId: string;
  attempts: number;
  /** Missing when the row holds nothing readable: such a message is dropped, never retried forever. */
  payload?: InboxPayload;
}

export function messageKey(cipher: Cipher, wamid: string): string {
  return cipher.pseudonym(`wamid:${wamid}`, 40);
}

export class WhatsAppInbox {
  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
    private readonly leaseMs: number,
  ) {}

  /**
   * Stores a message unless its key is known. Returns 'new', 'pending' (known, not processed yet:
   * a re-delivery after a crash must trigger processing, not be dropped) or 'done' (a duplicate).
   */
  async store(userId: string, message: InboundMessage): Promise<{ key: string; state: 'new' | 'pending' | 'done' }> {
    const key = messageKey(this.cipher, message.wamid);
    const payload: InboxPayload = { message };
    const inserted = await this.db.query(
      `INSERT INTO wa_inbox (message_id, user_id, sent_at, payload_enc) VALUES ($1, $2, $3, $4)
       ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
      [key, userId, new Date(message.timestamp * 1000), this.cipher.encryptJson(payload)],
    );
    if (inserted.rows.length > 0) return { key, state: 'new' };
    const { rows } = await this.db.query<{ done_at: Date | null }>('SELECT done_at FROM wa_inbox WHERE message_id = $1', [key]);
    return { key, state: rows[0] && rows[0].done_at === null ? 'pending' : 'done' };
  }

  /**
   * Leases the student's oldest pending message, if its lease is free. One UPDATE, so two
   * processes can never both win: the second re-checks the lease on the updated row and gets nothing.
   */
  async claimNext(userId: string): Promise<ClaimedMessage | undefined> {
    const { rows } = await this.db.query<{ message_id: string; attempts: number; payload_enc: string | null }>(
      `UPDATE wa_inbox SET lease_until = now() + ($2::integer * interval '1 millisecond'), attempts = attempts + 1
        WHERE message_id = (
                SELECT message_id FROM wa_inbox
                 WHERE user_id = $1 AND done_at IS NULL
                 ORDER BY sent_at, seq
                 LIMIT 1)
          AND done_at IS NULL
          AND (lease_until IS NULL OR lease_until < now())
        RETURNING message_id, attempts, payload_enc`,
      [userId, this.leaseMs],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { key: row.message_id, userId, attempts: row.attempts, payload: this.readPayload(row.payload_enc) };
  }

  /** Undefined when there is nothing to read, or it cannot be read (e.g. the encryption key changed). */
  private readPayload(sealed: string | null): InboxPayload | undefined {
    if (!sealed) return undefined;
    try {
      return this.cipher.decryptJson<InboxPayload>(sealed);
    } catch {
      return undefined;
    }
  }

  /** Saves the replies of a finished turn with the message, so a retry sends them instead of replaying the turn. */
  async saveReplies(key: string, payload: InboxPayload): Promise<void> {
    await this.db.query(
      `UPDATE wa_inbox SET payload_enc = $2, lease_until = now() + ($3::integer * interval '1 millisecond')
        WHERE message_id = $1 AND done_at IS NULL`,
      [key, this.cipher.encryptJson(payload), this.leaseMs],
    );
  }

  /** The message is handled (or given up on): drop what it said, keep the key for dedupe. */
  async markDone(key: string): Promise<void> {
    await this.db.query('UPDATE wa_inbox SET done_at = now(), payload_enc = NULL, lease_until = NULL WHERE message_id = $1', [key]);
  }

  /** Students with a message that nobody is working on: never claimed, or the lease ran out. */
  async usersWithWork(limit = 500): Promise<string[]> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `SELECT DISTINCT user_id FROM wa_inbox
        WHERE done_at IS NULL AND (lease_until IS NULL OR lease_until < now())
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.user_id);
  }

  /** Forgets processed message keys once Meta can no longer re-deliver them. */
  async cleanup(doneBefore: Date): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM wa_inbox WHERE done_at IS NOT NULL AND done_at < $1', [doneBefore]);
    return rowCount;
  }
}
