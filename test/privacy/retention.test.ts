import assert from 'node:assert/strict';
import { testApp } from '../helpers/app';
import { resetDb, testDb } from '../helpers/db';
import { StudentChat } from '../helpers/studentChat';

describe('retention of conversations, handoffs and WhatsApp contacts', () => {
  it('removes conversation state after DRAFT_RETENTION_DAYS and closed handoffs and old contacts after REPORT_RETENTION_DAYS', async () => {
    await resetDb(await testDb());
    const app = await testApp({ DRAFT_RETENTION_DAYS: '30', REPORT_RETENTION_DAYS: '365' });
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
    const db = await testDb();
    const chat = new StudentChat(app);
    await chat.send('hoi');
    await chat.send('ik voel me echt slecht over mijn stage');
    // bot_state.updated_at is set by the database clock: age the rows by hand.
    await db.query(`UPDATE bot_state SET updated_at = now() - interval '40 days'`);
    await db.query(
      `INSERT INTO handoffs (id, subject, label, student_ref, lang, reason, state, created_at, closed_at)
       VALUES ('00000000-0000-0000-0000-000000000001', 's-old', 'Student AAAA', '{}', 'nl', 'asked', 'closed', $1, $1),
              ('00000000-0000-0000-0000-000000000002', 's-open', 'Student BBBB', '{}', 'nl', 'asked', 'queued', $1, NULL)`,
      [daysAgo(400)],
    );
    await db.query(
      `INSERT INTO wa_contacts (user_id, subject, wa_id_enc, last_inbound_at) VALUES
        ('wa-old', 's-old', 'v1.x.y.z', $1), ('wa-open', 's-open', 'v1.x.y.z', $1), ('wa-new', 's-new', 'v1.x.y.z', $2)`,
      [daysAgo(400), daysAgo(2)],
    );
    await app.runMaintenance();
    assert.equal((await db.query('SELECT 1 FROM bot_state')).rowCount, 0);
    assert.equal((await db.query('SELECT 1 FROM subject_keys')).rowCount, 0);
    assert.deepEqual((await db.query<{ subject: string }>('SELECT subject FROM handoffs')).rows.map((r) => r.subject), ['s-open']);
    assert.deepEqual((await db.query<{ user_id: string }>('SELECT user_id FROM wa_contacts ORDER BY user_id')).rows.map((r) => r.user_id), ['wa-new', 'wa-open']);
  });
});
