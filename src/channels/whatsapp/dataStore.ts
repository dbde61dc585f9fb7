/**
 * Erasure on request: everything the WhatsApp channel keeps about one student (contact, inbound
 * message keys and payloads, outbound records). Registered with the SubjectEraser by
 * src/dataServices.ts: the tables exist, and are erased, whether or not the channel is switched on.
 */
import type { Db } from '../../storage/db';
import type { SubjectDataStore } from '../../privacy/subjectEraser';

export class WhatsAppDataStore implements SubjectDataStore {
  readonly name = 'whatsapp';

  constructor(private readonly db: Db) {}

  async eraseSubject(subjectId: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ user_id: string }>('SELECT user_id FROM wa_contacts WHERE subject = $1', [subjectId]);
      const userIds = rows.map((r) => r.user_id);
      if (userIds.length === 0) return 0;
      const inbox = await tx.query('DELETE FROM wa_inbox WHERE user_id = ANY($1::text[])', [userIds]);
      const outbound = await tx.query('DELETE FROM wa_outbound WHERE user_id = ANY($1::text[])', [userIds]);
      const contacts = await tx.query('DELETE FROM wa_contacts WHERE user_id = ANY($1::text[])', [userIds]);
      return inbox.rowCount + outbound.rowCount + contacts.rowCount;
    });
  }
}
