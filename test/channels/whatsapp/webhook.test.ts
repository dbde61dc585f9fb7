import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import sinon from 'sinon';
import { isEvidenceFile } from '../../../src/channels/media';
import { WhatsAppContacts } from '../../../src/channels/whatsapp/contacts';
import { WhatsAppOutboundLog } from '../../../src/channels/whatsapp/outboundLog';
import { resetDb, testDb } from '../../helpers/db';
import { FIXTURE_NOW, Harness, PHONE_NUMBER_ID, STUDENT, VERIFY_TOKEN, fixture, fixtureJson, messagesPayload, payload, replyMessage, status, textMessage, wamid } from './harness';

// Measures memory still in use after a full collection, not what the allocator keeps around.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
/** The lowest reading over a second: sockets of finished requests take a moment to let go of their buffers. */
async function retainedMemory(): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    collectGarbage();
    const { heapUsed, external } = process.memoryUsage();
    lowest = Math.min(lowest, heapUsed + external);
  }
  return lowest;
}

async function count(table: string): Promise<number> {
  const { rows } = await (await testDb()).query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

describe('WhatsApp webhook', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ now: FIXTURE_NOW });
  });
  after(async () => h.stop());
  beforeEach(async () => {
    await h.channel.settled();
    await resetDb(await testDb());
    h.turns.splice(0);
    h.failures.splice(0);
    h.graph.reset();
  });

  describe('verification handshake (GET)', () => {
    const verify = (query: string) => fetch(`${h.base}/api/whatsapp?${query}`);

    it('answers the bare challenge as text/plain when the mode and token are right', async () => {
      const res = await verify(`hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(await res.text(), '1158201444');
    });

    it('refuses a wrong token, another mode and missing parameters with 403', async () => {
      for (const query of [
        'hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1',
        'hub.mode=unsubscribe&hub.verify_token=' + VERIFY_TOKEN + '&hub.challenge=1',
        'hub.mode=subscribe&hub.challenge=1',
        'hub.mode=subscribe&hub.verify_token=' + VERIFY_TOKEN,
        '',
      ]) {
        const res = await verify(query);
        assert.equal(res.status, 403, query);
        assert.doesNotMatch(await res.text(), /^1$/);
      }
    });
  });

  describe('signature and body checks (POST)', () => {
    it('accepts a correctly signed fixture and runs one turn', async () => {
      const res = await h.deliver(fixture('whatsapp-text.json'));
      assert.equal(res.status, 200);
      assert.equal(h.turns.length, 1);
      assert.equal(h.turns[0]!.text, 'Hoi, ik heb een vraag over mijn stage');
    });

    it('refuses forged, missing, short and unprefixed signatures with 401 and a body, storing nothing', async () => {
      const raw = fixture('whatsapp-text.json');
      const good = crypto.createHmac('sha256', 'test-app-secret').update(raw).digest('hex');
      for (const signature of [`sha256=${crypto.createHmac('sha256', 'forged').update(raw).digest('hex')}`, null, `sha256=${good.slice(0, 10)}`, good, 'sha256=']) {
        const res = await h.post(raw, { signature });
        assert.equal(res.status, 401, String(signature));
        assert.match(await res.text(), /signature/i, 'a response is sent');
      }
      await h.channel.settled();
      assert.equal(h.turns.length, 0);
      assert.equal(await count('wa_inbox'), 0);
      assert.equal(await count('wa_contacts'), 0);
    });

    it('verifies the raw bytes of a body with @, é, emoji, Arabic and \\u00e9 escapes, and passes the text on intact', async () => {
      const raw = Buffer.from(
        JSON.stringify(messagesPayload(textMessage('PLACEHOLDER'))).replace('PLACEHOLDER', 'mail sara@school.nl caf\\u00e9 café 😀 👩🏽‍🎓 مرحبا'),
        'utf8',
      );
      const res = await h.post(raw);
      assert.equal(res.status, 200);
      await h.channel.settled();
      assert.equal(h.turns[0]!.text, 'mail sara@school.nl café café 😀 👩🏽‍🎓 مرحبا');
    });

    it('refuses an oversized body with 413 before hashing it, and memory stays flat over 100 of them', async () => {
      const big = Buffer.alloc(1_048_576 + 1, 0x20);
      const hmac = sinon.spy(crypto, 'createHmac');
      try {
        const first = await h.post(big, { signature: 'sha256=' + '0'.repeat(64) });
        assert.equal(first.status, 413);
        assert.equal(hmac.callCount, 0, 'no HMAC over an oversized body');
      } finally {
        hmac.restore();
      }
      const before = await retainedMemory();
      for (let i = 0; i < 100; i++) {
        const res = await h.post(big, { signature: 'sha256=' + '0'.repeat(64) });
        assert.equal(res.status, 413);
        await res.arrayBuffer();
      }
      const grown = (await retainedMemory()) - before;
      assert.ok(grown < 20 * 1024 * 1024, `memory still in use grew by ${Math.round(grown / 1024 / 1024)} MB over 100 MB of refused bodies`);
      assert.equal((await h.deliver(fixture('whatsapp-text.json'))).status, 200, 'still serving');
    });

    it('answers 413 on the declared length alone, before the body has even been sent', async () => {
      const url = new URL(`${h.base}/api/whatsapp`);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(50 * 1_048_576) } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', () => undefined);
        req.write('{"object":');
        setTimeout(() => reject(new Error('the server waited for a 50 MB body')), 5000).unref();
      });
      assert.equal(status, 413);
    });

    it('cuts off a streamed (chunked) body as soon as it passes the limit', async () => {
      const url = new URL(`${h.base}/api/whatsapp`);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', () => undefined);
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < 40 && req.write(chunk)) sent++;
          if (sent < 40) req.once('drain', pump);
        };
        pump();
        setTimeout(() => reject(new Error('no answer to a streamed oversized body')), 5000).unref();
      });
      assert.equal(status, 413);
    });

    it('answers malformed JSON and unknown shapes with 400 and keeps working', async () => {
      for (const body of ['{"object": "whatsapp_business_account", ', '[]', '{}', '"text"']) {
        const res = await h.post(body);
        assert.equal(res.status, 400, body);
      }
      assert.equal((await h.deliver(fixture('whatsapp-text.json'))).status, 200);
      assert.equal(h.turns.length, 1);
    });

    it('ignores a payload for another phone number id: 200, nothing stored, no turn', async () => {
      const res = await h.deliver(payload([{ messages: [textMessage('hallo')], phoneNumberId: '999999999999999' }]));
      assert.equal(res.status, 200);
      assert.equal(h.turns.length, 0);
      assert.equal(await count('wa_inbox'), 0);
      assert.equal(await count('wa_contacts'), 0);
      assert.equal(h.graph.calls.length, 0);
    });
  });

  describe('at-least-once delivery', () => {
    it('runs one turn with one reply for the same payload delivered twice, with one dedupe row', async () => {
      await h.deliver(fixture('whatsapp-text.json'));
      await h.deliver(fixture('whatsapp-text.json'));
      assert.equal(h.turns.length, 1);
      assert.equal(h.graph.sends().length, 1);
      const { rows } = await (await testDb()).query<{ done_at: Date | null; payload_enc: string | null }>('SELECT done_at, payload_enc FROM wa_inbox');
      assert.equal(rows.length, 1);
      assert.ok(rows[0]!.done_at, 'marked done');
      assert.equal(rows[0]!.payload_enc, null, 'the message itself is not kept');
    });

    it('runs exactly one turn for 10 concurrent deliveries of one message', async () => {
      const raw = fixture('whatsapp-button-reply.json');
      const answers = await Promise.all(Array.from({ length: 10 }, () => h.post(raw)));
      assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
      await h.channel.settled();
      assert.equal(h.turns.length, 1);
      assert.equal(h.graph.sends().length, 1);
      assert.equal(await count('wa_inbox'), 1);
    });

    it('runs each of 3 messages across 2 entries once, in order', async () => {
      const messages = ['een', 'twee', 'drie'].map((text, i) => textMessage(text, { timestamp: String(Math.floor(Date.now() / 1000) + i) }));
      const body = payload([{ messages: messages.slice(0, 2) }, { messages: messages.slice(2) }]);
      await h.deliver(body);
      assert.deepEqual(h.turns.map((t) => t.text), ['een', 'twee', 'drie']);
      await h.deliver(body);
      assert.equal(h.turns.length, 3, 'a re-delivery of the batch runs nothing again');
    });

    it('keeps one student’s turns in order while different students run side by side', async () => {
      const slow = await Harness.start({
        graph: h.graph,
        runTurn: async (context, self) => {
          self.turns.push(context.activity);
          if (context.activity.text === 'eerste') await new Promise((r) => setTimeout(r, 150));
        },
      });
      try {
        await slow.post(messagesPayload(textMessage('eerste')));
        await slow.post(messagesPayload(textMessage('tweede')));
        await slow.post(messagesPayload(textMessage('ander', { from: '31600000002' })));
        await slow.channel.settled();
        const mine = slow.turns.filter((t) => t.from?.id === slow.userId()).map((t) => t.text);
        assert.deepEqual(mine, ['eerste', 'tweede']);
        assert.equal(slow.turns[0]!.text, 'eerste');
        assert.equal(slow.turns[1]!.text, 'ander', 'the other student did not wait');
      } finally {
        await slow.stop();
      }
    });
  });

  describe('status updates', () => {
    async function sent(id: string, origin?: unknown): Promise<void> {
      const contacts = new WhatsAppContacts(h.data.db, h.data.cipher);
      await contacts.upsert({ userId: h.userId(), subject: 's', waId: STUDENT, inboundAt: new Date() });
      await new WhatsAppOutboundLog(h.data.db, h.data.cipher).record(id, h.userId(), origin);
    }
    async function outboundRow(): Promise<{ status: string; error_code: number | null }[]> {
      return (await (await testDb()).query<{ status: string; error_code: number | null }>('SELECT status, error_code FROM wa_outbound ORDER BY sent_at')).rows;
    }
    const statuses = fixtureJson<{ entry: Array<{ changes: Array<{ value: { statuses: Array<{ id: string }> } }> }> }>('whatsapp-status.json').entry[0]!.changes[0]!.value.statuses;

    it('runs no turn, records the last status and reports a failed message with its origin', async () => {
      await sent(statuses[0]!.id, { handoffId: 'h-1' });
      await sent(statuses[3]!.id, { handoffId: 'h-2' });
      const res = await h.deliver(fixture('whatsapp-status.json'));
      assert.equal(res.status, 200);
      assert.equal(h.turns.length, 0);
      assert.deepEqual(await outboundRow(), [
        { status: 'read', error_code: null },
        { status: 'failed', error_code: 131026 },
      ]);
      assert.deepEqual(h.failures, [{ userId: h.userId(), origin: { handoffId: 'h-2' }, reason: 'failed', code: 131026 }]);
      await h.deliver(fixture('whatsapp-status.json'));
      assert.equal(h.failures.length, 1, 'a re-delivered failure is reported once');
    });

    it('never moves a status backwards when "delivered" arrives after "read"', async () => {
      const id = 'wamid.OUT-of-order';
      await sent(id);
      await h.deliver(payload([{ statuses: [status(id, 'read')] }]));
      await h.deliver(payload([{ statuses: [status(id, 'delivered')] }]));
      await h.deliver(payload([{ statuses: [status(id, 'sent')] }]));
      assert.deepEqual(await outboundRow(), [{ status: 'read', error_code: null }]);
    });

    it('reports a 131047 failure as a closed window', async () => {
      const failed = fixtureJson<{ entry: Array<{ changes: Array<{ value: { statuses: Array<{ id: string }> } }> }> }>('whatsapp-error-131047.json');
      await sent(failed.entry[0]!.changes[0]!.value.statuses[0]!.id, { handoffId: 'h-3' });
      await h.deliver(fixture('whatsapp-error-131047.json'));
      assert.deepEqual(h.failures, [{ userId: h.userId(), origin: { handoffId: 'h-3' }, reason: 'window_closed', code: 131047 }]);
    });

    it('ignores statuses of messages it did not send', async () => {
      const res = await h.deliver(fixture('whatsapp-status.json'));
      assert.equal(res.status, 200);
      assert.equal(h.failures.length, 0);
      assert.equal(await count('wa_outbound'), 0);
    });
  });

  describe('inbound message types', () => {
    it('turns a text into an Activity with a pseudonymous student and no phone number or name', async () => {
      await h.deliver(fixture('whatsapp-text.json'));
      const activity = h.turns[0]!;
      const userId = h.userId();
      assert.equal(activity.type, 'message');
      assert.equal(activity.channelId, 'whatsapp');
      assert.deepEqual(activity.from, { id: userId, name: '' });
      assert.deepEqual(activity.conversation, { id: userId, isGroup: false, conversationType: 'personal', name: '' });
      assert.equal(activity.recipient?.id, PHONE_NUMBER_ID);
      assert.deepEqual(activity.channelData, { whatsapp: { type: 'text' } });
      assert.equal(new Date(activity.timestamp!).getTime(), 1764072000 * 1000);
      const all = JSON.stringify(activity);
      assert.ok(!all.includes(STUDENT), 'no phone number');
      assert.ok(!all.includes('Test Student'), 'no profile name');
      assert.ok(!all.includes('HBgLMzE2MDAw'), 'no wamid (it encodes the number)');
      assert.deepEqual(h.graph.readReceipts(), [{ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.HBgLMzE2MDAwMDAwMDEVAgASGBRGQUtFMDAwMDAwMDAwMDAwMDAwMQA=', typing_indicator: { type: 'text' } }]);
    });

    it('maps button and list replies to the value of the pressed choice', async () => {
      await h.deliver(fixture('whatsapp-button-reply.json'));
      await h.deliver(fixture('whatsapp-list-reply.json'));
      assert.deepEqual(h.turns.map((t) => [t.text, t.value]), [
        ['menu:report', { choice: 'menu:report' }],
        ['ground:religion', { choice: 'ground:religion' }],
      ]);
    });

    it('maps media to attachments with the media id, and location and contacts without content', async () => {
      const base = { from: STUDENT, timestamp: String(Math.floor(Date.now() / 1000)) };
      await h.deliver(fixture('whatsapp-image.json'));
      await h.deliver(messagesPayload(
        { ...base, id: wamid(), type: 'document', document: { id: 'doc-1', mime_type: 'application/pdf', filename: 'mail.pdf', caption: 'de mail' } },
        { ...base, id: wamid(), type: 'audio', audio: { id: 'audio-1', mime_type: 'audio/ogg; codecs=opus', voice: true } },
        { ...base, id: wamid(), type: 'video', video: { id: 'video-1', mime_type: 'video/mp4' } },
        { ...base, id: wamid(), type: 'sticker', sticker: { id: 'sticker-1', mime_type: 'image/webp', animated: false } },
        { ...base, id: wamid(), type: 'location', location: { latitude: 52.08, longitude: 4.31, name: 'Den Haag' } },
        { ...base, id: wamid(), type: 'contacts', contacts: [{ name: { formatted_name: 'Iemand' }, phones: [{ phone: '+31 6 0000 0009' }] }] },
      ));
      const [image, document, audio, video, sticker, location, contacts] = h.turns;
      assert.equal(image!.text, 'Screenshot van de afwijzing');
      assert.deepEqual(image!.attachments, [{ contentType: 'image/jpeg', contentUrl: 'whatsapp-media:900000000000001' }]);
      assert.deepEqual(document!.attachments, [{ contentType: 'application/pdf', contentUrl: 'whatsapp-media:doc-1', name: 'mail.pdf' }]);
      assert.equal(document!.text, 'de mail');
      assert.equal(audio!.attachments![0]!.contentType, 'audio/ogg; codecs=opus');
      assert.equal(video!.attachments![0]!.contentUrl, 'whatsapp-media:video-1');
      for (const evidence of [image, document, audio, video]) assert.equal(isEvidenceFile(evidence!.attachments![0]!), true);
      for (const other of [sticker, location, contacts]) {
        assert.equal(isEvidenceFile(other!.attachments![0]!), false, other!.attachments![0]!.contentType);
        assert.equal(other!.text, '');
      }
      assert.equal(location!.attachments![0]!.contentType, 'application/vnd.stagemaatje.location');
      assert.equal(location!.attachments![0]!.contentUrl, undefined);
      assert.ok(!JSON.stringify(location).includes('52.08'), 'where the student is stays out of the bot');
      assert.ok(!JSON.stringify(contacts).includes('0000 0009'), 'numbers of others stay out of the bot');
    });

    it('ignores reactions and passes unsupported or unknown types on as an unusable attachment', async () => {
      const base = { from: STUDENT, timestamp: String(Math.floor(Date.now() / 1000)) };
      await h.deliver(messagesPayload(
        { ...base, id: wamid(), type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '👍' } },
        { ...base, id: wamid(), type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown' }] },
        { ...base, id: wamid(), type: 'order', order: { catalog_id: '1' } },
        { ...base, id: wamid(), type: 'text' /* no text object: unreadable */, text: 42 },
      ));
      assert.equal(h.turns.length, 3, 'no turn for the reaction');
      for (const turn of h.turns) {
        assert.equal(turn.attachments?.[0]?.contentType, 'message/vnd.stagemaatje.unsupported');
        assert.equal(isEvidenceFile(turn.attachments![0]!), false);
      }
    });

    it('derives the student from the business-scoped user id when Meta sends no number, and answers through it', async () => {
      const bsuid = 'NL.13491208655302741918';
      const body = {
        object: 'whatsapp_business_account',
        entry: [{ changes: [{ field: 'messages', value: { metadata: { phone_number_id: PHONE_NUMBER_ID }, contacts: [{ user_id: bsuid, profile: { username: 'sara' } }], messages: [{ from_user_id: bsuid, id: wamid(), timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hoi' } }] } }] }],
      };
      await h.deliver(body);
      assert.equal(h.turns[0]!.from!.id, h.data.whatsAppUserId(`bsuid:${bsuid}`));
      const [sentMessage] = h.graph.sends();
      assert.equal(sentMessage!.recipient, bsuid);
      assert.equal(sentMessage!.to, undefined);
    });

    it('stores the number only encrypted, next to the business-scoped id when Meta sends both', async () => {
      const body = fixtureJson<{ entry: Array<{ changes: Array<{ value: { contacts: Array<Record<string, unknown>> } }> }> }>('whatsapp-text.json');
      body.entry[0]!.changes[0]!.value.contacts[0]!.user_id = 'NL.1';
      await h.deliver(body);
      const { rows } = await (await testDb()).query<Record<string, unknown>>('SELECT * FROM wa_contacts');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.user_id, h.userId());
      assert.ok(!JSON.stringify(rows).includes(STUDENT));
      assert.ok(rows[0]!.bsuid_enc);
      const inbox = await (await testDb()).query('SELECT * FROM wa_inbox');
      assert.ok(!JSON.stringify(inbox.rows).includes('HBgLMzE2MDAw'), 'message keys are not wamids');
      assert.equal(h.turns[0]!.from!.id, h.userId(), 'the number, not the BSUID, keys the student');
    });

    it('answers a second text of the same student in the same conversation', async () => {
      await h.deliver(messagesPayload(textMessage('een')));
      await h.deliver(messagesPayload(replyMessage('button_reply', 'role:victim')));
      assert.equal(h.turns[0]!.conversation!.id, h.turns[1]!.conversation!.id);
      assert.equal(h.graph.sends().length, 2);
      assert.ok(h.graph.sends().every((s) => s.to === STUDENT));
    });
  });
});
