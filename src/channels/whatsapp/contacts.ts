/**
 * The students we know on WhatsApp (wa_contacts): how to reach them (their number, encrypted) and
 * when they last wrote, which decides whether the 24-hour window is open. Keyed by the pseudonymous
 * user id, so the number itself is never a key, a log field or plaintext in the database.
 */
import type { Db } from '../../storage/db';
import type { Cipher } from '../../storage/crypto';
import type { Recipient } from './cloudApiClient';

export interface Contact extends Recipient {
  userId: string;
  lastInboundAt?: Date;
}

export class WhatsAppContacts {
  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
  ) {}

  /** Records (or refreshes) a student who wrote to us; the last-inbound time only moves forward. */
  async upsert(contact: { userId: string; subject: string; waId?: string; bsuid?: string; inboundAt: Date }): Promise<void> {
    await this.db.query(
      `INSERT INTO wa_contacts (user_id, subject, wa_id_enc, bsuid_enc, last_inbound_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id) DO UPDATE SET
         subject = EXCLUDED.subject,
         wa_id_enc = CASE WHEN $6::boolean THEN EXCLUDED.wa_id_enc ELSE wa_contacts.wa_id_enc END,
         bsuid_enc = COALESCE(EXCLUDED.bsuid_enc, wa_contacts.bsuid_enc),
         last_inbound_at = GREATEST(wa_contacts.last_inbound_at, EXCLUDED.last_inbound_at)`,
      [
        contact.userId,
        contact.subject,
        this.cipher.encrypt(contact.waId ?? ''),
        contact.bsuid ? this.cipher.encrypt(contact.bsuid) : null,
        contact.inboundAt,
        Boolean(contact.waId),
      ],
    );
  }

  async find(userId: string): Promise<Contact | undefined> {
    const { rows } = await this.db.query<{ wa_id_enc: string; bsuid_enc: string | null; last_inbound_at: Date | null }>(
      'SELECT wa_id_enc, bsuid_enc, last_inbound_at FROM wa_contacts WHERE user_id = $1',
      [userId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const waId = this.cipher.decrypt(row.wa_id_enc);
    const bsuid = row.bsuid_enc ? this.cipher.decrypt(row.bsuid_enc) : undefined;
    return {
      userId,
      ...(waId ? { waId } : {}),
      ...(bsuid ? { bsuid } : {}),
      ...(row.last_inbound_at ? { lastInboundAt: new Date(row.last_inbound_at) } : {}),
    };
  }
}
