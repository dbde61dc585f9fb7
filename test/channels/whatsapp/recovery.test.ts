import assert from 'node:assert/strict';
import { WhatsAppDataStore } from '../../../src/channels/whatsapp/dataStore';
import { WhatsAppContacts } from '../../../src/channels/whatsapp/contacts';
import { WhatsAppInbox } from '../../../src/channels/whatsapp/inbox';
import { WhatsAppOutboundLog } from '../../../src/channels/whatsapp/outboundLog';
import { toInbound, webhookSchema } from '../../../src/channels/whatsapp/webhookPayload';
import { translator } from '../../../src/i18n/i18n';
import { resetDb, testDb } from '../../helpers/db';
import { FIXTURE_NOW, Harness, PHONE_NUMBER_ID, STUDENT, fixture, fixtureJson, messagesPayload, textMessage } from './harness';

// Long enough that a slow CI machine does not see it expire before the test means it to.
const LEASE_MS = 500;
const DAY = 24 * 60 * 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function inboxRows(): Promise<Array<{ done_at: Date | null; attempts: number; payload_enc: string | null }>> {
  return (await (await testDb()).query<{ done_at: Date | null; attempts: number; payload_enc: string | null }>('SELECT done_at, attempts, payload_enc FROM wa_inbox ORDER BY seq')).rows;
}

describe('WhatsApp crash recovery, retries, retention and erasure', () => {
  let h: Harness;
  /** Decides what the stand-in bot does with a message; each test may replace it. */
  let behaviour: (text: string) => Promise<void> = async () => undefined;

  before(async () => {
    h = await Harness.start({
      now: FIXTURE_NOW,
      tuning: { leaseMs: LEASE_MS, maxAttempts: 3 },
      runTurn: async (context, self) => {
        self.turns.push(context.activity);
        await behaviour(context.activity.text ?? '');
        await context.sendActivity(`antwoord op ${context.activity.text}`);
      },
    });
  });
  after(async () => h.stop());
  beforeEach(async () => {
    await h.channel.settled();
    await resetDb(await testDb());
    h.turns.splice(0);
    h.graph.reset();
    behaviour = async () => undefined;
  });

  /** The state a process leaves when it dies mid-turn: the message stored and leased, never done. */
  async function crashedMidTurn(): Promise<void> {
    const [message] = toInbound(webhookSchema.parse(fixtureJson('whatsapp-text.json')), PHONE_NUMBER_ID).messages;
    const userId = h.userId();
    await new WhatsAppContacts(h.data.db, h.data.cipher).upsert({ userId, subject: 's', waId: STUDENT, inboundAt: new Date() });
    const inbox = new WhatsAppInbox(h.data.db, h.data.cipher, LEASE_MS);
    await inbox.store(userId, message!);
    assert.ok(await inbox.claimNext(userId), 'the crashed process had claimed it');
  }

  it('re-processes a crashed turn with recover() once the lease has expired, not before', async () => {
    await crashedMidTurn();
    await h.channel.recover();
    assert.equal(h.turns.length, 0, 'the lease still protects it');
    await sleep(LEASE_MS + 50);
    await h.channel.recover();
    assert.equal(h.turns.length, 1);
    assert.deepEqual(h.graph.sends().map((s) => s.text?.body), ['antwoord op Hoi, ik heb een vraag over mijn stage']);
    const [row] = await inboxRows();
    assert.ok(row!.done_at);
    assert.equal(row!.attempts, 2);
  });

  it('re-processes a crashed turn when Meta re-delivers it after the lease: not dropped as a duplicate', async () => {
    await crashedMidTurn();
    await sleep(LEASE_MS + 50);
    const res = await h.deliver(fixture('whatsapp-text.json'));
    assert.equal(res.status, 200);
    assert.equal(h.turns.length, 1);
    assert.ok((await inboxRows())[0]!.done_at);
    await h.deliver(fixture('whatsapp-text.json'));
    assert.equal(h.turns.length, 1, 'once done, a re-delivery is a duplicate');
  });

  it('lets a second process take over only what the first left behind', async () => {
    const other = h.createChannel({ runTurn: async (context) => void h.turns.push(context.activity) });
    await crashedMidTurn();
    await Promise.all([h.channel.recover(), other.recover()]);
    assert.equal(h.turns.length, 0);
    await sleep(LEASE_MS + 50);
    await Promise.all([h.channel.recover(), other.recover(), h.channel.recover()]);
    await Promise.all([h.channel.settled(), other.settled()]);
    assert.equal(h.turns.length, 1, 'exactly one of them ran it');
  });

  it('retries a failing turn after the lease, keeps later messages waiting, and keeps the order', async () => {
    let failures = 1;
    behaviour = async (text) => {
      if (text === 'een' && failures-- > 0) throw new Error('database hiccup');
    };
    await h.deliver(messagesPayload(textMessage('een', { timestamp: '1764072000' })));
    await h.deliver(messagesPayload(textMessage('twee', { timestamp: '1764072001' })));
    assert.deepEqual(h.turns.map((t) => t.text), ['een'], '"twee" waits for "een"');
    await sleep(LEASE_MS + 50);
    await h.channel.recover();
    assert.deepEqual(h.turns.map((t) => t.text), ['een', 'een', 'twee']);
    assert.deepEqual(h.graph.sends().map((s) => s.text?.body), ['antwoord op een', 'antwoord op twee']);
  });

  it('gives up after the maximum number of attempts, tells the student, and goes on with the next message', async () => {
    behaviour = async (text) => {
      if (text === 'kapot') throw new Error('always fails');
    };
    await h.deliver(messagesPayload(textMessage('kapot', { timestamp: '1764072000' }), textMessage('daarna', { timestamp: '1764072001' })));
    for (let i = 0; i < 3; i++) {
      await sleep(LEASE_MS + 50);
      await h.channel.recover();
    }
    assert.deepEqual(h.turns.map((t) => t.text), ['kapot', 'kapot', 'kapot', 'daarna'], 'three attempts, then the next message');
    const rows = await inboxRows();
    assert.ok(rows.every((r) => r.done_at && r.payload_enc === null));
    assert.equal(rows[0]!.attempts, 3);
    assert.deepEqual(h.graph.sends().map((s) => s.text?.body), [translator('nl')('errors.turnFailed'), 'antwoord op daarna']);
  });

  it('drops a stored message it cannot decrypt instead of retrying it forever', async () => {
    const db = await testDb();
    await db.query(`INSERT INTO wa_inbox (message_id, user_id, sent_at, payload_enc) VALUES ('garbled', $1, now(), 'v1.not.really')`, [h.userId()]);
    await h.channel.recover();
    await h.deliver(messagesPayload(textMessage('daarna')));
    assert.deepEqual(h.turns.map((t) => t.text), ['daarna'], 'the student is not blocked');
    assert.ok((await inboxRows()).every((r) => r.done_at));
  });

  it('cleans up message keys after 8 days and outbound records after 30, keeping what is recent or pending', async () => {
    const db = await testDb();
    const userId = h.userId();
    await new WhatsAppContacts(db, h.data.cipher).upsert({ userId, subject: 's', waId: STUDENT, inboundAt: new Date() });
    await db.query(
      `INSERT INTO wa_inbox (message_id, user_id, sent_at, done_at) VALUES
        ('old', $1, now(), $2), ('recent', $1, now(), $3), ('pending', $1, now(), NULL)`,
      [userId, new Date(FIXTURE_NOW().getTime() - 9 * DAY), new Date(FIXTURE_NOW().getTime() - 7 * DAY)],
    );
    await db.query(`INSERT INTO wa_outbound (wamid, user_id, sent_at) VALUES ('o-old', $1, $2), ('o-new', $1, $3)`, [
      userId,
      new Date(FIXTURE_NOW().getTime() - 31 * DAY),
      new Date(FIXTURE_NOW().getTime() - 29 * DAY),
    ]);
    await h.channel.cleanup();
    assert.deepEqual((await db.query<{ message_id: string }>('SELECT message_id FROM wa_inbox ORDER BY message_id')).rows.map((r) => r.message_id), ['pending', 'recent']);
    assert.deepEqual((await db.query<{ wamid: string }>('SELECT wamid FROM wa_outbound')).rows.map((r) => r.wamid), ['o-new']);
  });

  it('erases a student’s contact, inbound and outbound rows, and nobody else’s', async () => {
    await h.deliver(fixture('whatsapp-text.json'));
    await h.deliver(messagesPayload(textMessage('ik ben iemand anders', { from: '31600000002' })));
    const db = await testDb();
    await new WhatsAppOutboundLog(db, h.data.cipher).record('wamid.extra', h.userId(), { handoffId: 'x' });
    const subject = h.data.subjectId('whatsapp', h.userId());
    const store = new WhatsAppDataStore(db);
    const removed = await store.eraseSubject(subject);
    assert.ok(removed >= 4, `removed ${removed}`);
    for (const table of ['wa_contacts', 'wa_inbox', 'wa_outbound']) {
      const { rows } = await db.query<{ user_id: string }>(`SELECT user_id FROM ${table}`);
      assert.ok(rows.length > 0, `${table} keeps the other student`);
      assert.ok(rows.every((r) => r.user_id === h.userId('31600000002')), `${table} has no rows of the erased student`);
    }
    assert.equal(await store.eraseSubject(subject), 0);
  });
});
