import assert from 'node:assert/strict';
import { TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import { FileTooLargeError } from '../../../src/channels/media';
import { WhatsAppDeliveryError } from '../../../src/channels/whatsapp';
import { WhatsAppContacts } from '../../../src/channels/whatsapp/contacts';
import { messageWithChoices } from '../../../dialogs/ui';
import { resetDb, testDb } from '../../helpers/db';
import { graphError } from './fakeGraphApi';
import { Harness, STUDENT, captureLogger, fixtureJson, messagesPayload, textMessage } from './harness';

const HOUR = 60 * 60_000;

describe('WhatsApp outbound delivery', () => {
  let h: Harness;
  let log: ReturnType<typeof captureLogger>;
  /** What the turn sends; each test sets it. */
  let replies: Array<Partial<Activity>> = [];

  before(async () => {
    log = captureLogger();
    h = await Harness.start({
      logger: log.logger,
      tuning: { maxAttempts: 3, leaseMs: 200 },
      runTurn: async (context, self) => {
        self.turns.push(context.activity);
        await context.sendActivities(replies);
      },
    });
  });
  after(async () => h.stop());
  beforeEach(async () => {
    await h.channel.settled();
    await resetDb(await testDb());
    h.turns.splice(0);
    h.failures.splice(0);
    h.graph.reset();
    log.lines.splice(0);
    replies = [{ type: 'message', text: 'Dank je. Wat is er gebeurd?' }];
  });

  async function knownStudent(lastInboundAgoMs: number, waId = STUDENT): Promise<Partial<ConversationReference>> {
    const userId = h.userId(waId);
    await new WhatsAppContacts(h.data.db, h.data.cipher).upsert({ userId, subject: h.data.subjectId('whatsapp', userId), waId, inboundAt: new Date(Date.now() - lastInboundAgoMs) });
    return {
      channelId: 'whatsapp',
      serviceUrl: 'https://whatsapp.invalid/',
      conversation: { id: userId, isGroup: false, conversationType: 'personal', name: '' },
      user: { id: userId, name: '' },
      bot: { id: '100000000000001', name: '' },
    };
  }

  function sendProactive(channel: Harness['channel'], reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
    return channel.adapter.continueConversationAsync('', reference, async (context: TurnContext) => {
      await context.sendActivity(activity);
    });
  }

  async function inboxRow(): Promise<{ done_at: Date | null; attempts: number } | undefined> {
    return (await (await testDb()).query<{ done_at: Date | null; attempts: number }>('SELECT done_at, attempts FROM wa_inbox')).rows[0];
  }

  describe('retries', () => {
    for (const [name, failure] of [
      ['HTTP 429 (130429)', { status: 429, body: graphError(130429, 'Rate limit hit') }],
      ['HTTP 500', { status: 500, body: graphError(2, 'Service temporarily unavailable') }],
      ['the pair rate limit (131056, sample envelope)', { status: 400, body: fixtureJson('whatsapp-error-http.json') }],
    ] as const) {
      it(`retries after ${name} and then delivers`, async () => {
        h.graph.failNext = [{ ...failure }];
        await h.deliver(messagesPayload(textMessage('hoi')));
        const attempts = h.graph.calls.filter((c) => c.method === 'POST' && c.body.type === 'text');
        assert.equal(attempts.length, 2, 'one failed try, one success');
        assert.equal(h.turns.length, 1);
        assert.ok((await inboxRow())?.done_at, 'the message is done');
        assert.equal((await (await testDb()).query('SELECT 1 FROM wa_outbound')).rows.length, 1);
      });
    }

    it('merges the texts of one turn into one message (pair rate limit)', async () => {
      replies = [{ type: 'message', text: 'Een.' }, { type: 'message', text: 'Twee.' }, { type: 'message', text: 'Drie.' }];
      await h.deliver(messagesPayload(textMessage('hoi')));
      assert.deepEqual(h.graph.sends().map((s) => s.text?.body), ['Een.\n\nTwee.\n\nDrie.']);
    });
  });

  describe('failures are surfaced, never swallowed', () => {
    for (const code of [100, 131026]) {
      it(`fails the turn on a permanent error (HTTP 400, code ${code}), logs it with ids and does not retry`, async () => {
        h.graph.failNext = [{ status: 400, body: graphError(code, 'refused') }];
        await h.deliver(messagesPayload(textMessage('KANARIE hoi')));
        assert.equal(h.graph.calls.filter((c) => c.body.type === 'text').length, 1, 'no retry of a refused message');
        assert.ok((await inboxRow())?.done_at, 'given up at once: retrying cannot help');
        const failed = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'whatsapp_send_failed' || l.event === 'whatsapp_message_abandoned');
        assert.equal(failed.length, 2);
        assert.ok(failed.every((l) => l.code === code));
        assert.ok(failed.every((l) => l.userId === h.userId()));
      });

      it(`rejects a proactive send with a WhatsAppDeliveryError on code ${code}`, async () => {
        const reference = await knownStudent(HOUR);
        h.graph.failNext = [{ status: 400, body: graphError(code, 'refused') }];
        await assert.rejects(sendProactive(h.channel, reference, { type: 'message', text: 'Hoi' }), (err: unknown) => {
          assert.ok(err instanceof WhatsAppDeliveryError);
          assert.equal(err.reason, 'failed');
          assert.equal(err.code, code);
          assert.equal(err.permanent, true);
          return true;
        });
      });
    }

    it('keeps a turn whose replies could not be sent, and sends them (without replaying the turn) once Meta is back', async () => {
      h.graph.failNext = Array.from({ length: 4 }, () => ({ status: 500, body: graphError(2, 'down') }));
      await h.deliver(messagesPayload(textMessage('hoi')));
      assert.equal(h.graph.sends().length, 4, 'tried 4 times');
      assert.equal((await inboxRow())?.done_at, null, 'left for a retry');
      await new Promise((r) => setTimeout(r, 250));
      await h.channel.recover();
      assert.equal(h.turns.length, 1, 'the turn is not run again');
      assert.equal(h.graph.sends().length, 5);
      assert.equal(h.graph.sends()[4]!.text?.body, 'Dank je. Wat is er gebeurd?');
      assert.ok((await inboxRow())?.done_at);
    });

    it('times out a hanging call and reports it as a delivery error', async () => {
      const slow = await Harness.start({ graph: h.graph, tuning: { requestTimeoutMs: 100, requestAttempts: 2 } });
      try {
        const reference = await knownStudent(HOUR);
        h.graph.sendDelayMs = 300;
        await assert.rejects(sendProactive(slow.channel, reference, { type: 'message', text: 'Hoi' }), (err: unknown) => err instanceof WhatsAppDeliveryError && err.reason === 'failed' && !err.permanent);
      } finally {
        h.graph.sendDelayMs = 0;
        await slow.stop();
      }
    });
  });

  describe('proactive messages and the 24-hour window', () => {
    it('sends to the stored number of the conversation and records the origin', async () => {
      const reference = await knownStudent(HOUR);
      await sendProactive(h.channel, reference, { ...messageWithChoices('Een medewerker antwoordde.', [{ value: 'a', label: 'A' }]), channelData: { origin: { handoffId: 'h-9' } } });
      const [sent] = h.graph.sends();
      assert.equal(sent!.to, STUDENT);
      assert.equal(sent!.interactive?.type, 'button');
      const { rows } = await (await testDb()).query<{ user_id: string; origin: unknown; status: string }>('SELECT user_id, origin, status FROM wa_outbound');
      assert.deepEqual(rows, [{ user_id: h.userId(), origin: { handoffId: 'h-9' }, status: 'accepted' }]);
    });

    it('refuses a conversation it has no number for', async () => {
      await assert.rejects(
        sendProactive(h.channel, { channelId: 'whatsapp', conversation: { id: 'wa-unknown', isGroup: false, conversationType: 'personal', name: '' } }, { type: 'message', text: 'Hoi' }),
        (err: unknown) => err instanceof WhatsAppDeliveryError && err.reason === 'unknown_recipient',
      );
    });

    it('outside the window, without a template: WhatsAppDeliveryError window_closed and onDeliveryFailed', async () => {
      const reference = await knownStudent(25 * HOUR);
      await assert.rejects(
        sendProactive(h.channel, reference, { type: 'message', text: 'Late antwoord', channelData: { origin: { handoffId: 'h-1' } } }),
        (err: unknown) => err instanceof WhatsAppDeliveryError && err.reason === 'window_closed' && err.permanent,
      );
      assert.equal(h.graph.sends().length, 0, 'nothing sent that Meta would refuse');
      assert.deepEqual(h.failures, [{ userId: h.userId(), origin: { handoffId: 'h-1' }, reason: 'window_closed' }]);
    });

    it('outside the window, with a template: sends the approved template in the student’s language', async () => {
      const templated = await Harness.start({ graph: h.graph, templateName: 'stagemaatje_bericht', templateLanguages: ['nl', 'en_US'] });
      try {
        const reference = await knownStudent(25 * HOUR);
        await sendProactive(templated.channel, reference, { type: 'message', locale: 'en', text: 'A counsellor replied:\n\nHello!', channelData: { origin: { handoffId: 'h-2' } } });
        const [sent] = h.graph.sends();
        assert.equal(sent!.type, 'template');
        assert.deepEqual(sent!.template, {
          name: 'stagemaatje_bericht',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: 'A counsellor replied: Hello!' }] }],
        });
        assert.equal(templated.failures.length, 0);
        const { rows } = await (await testDb()).query<{ origin: unknown }>('SELECT origin FROM wa_outbound');
        assert.deepEqual(rows, [{ origin: { handoffId: 'h-2' } }]);
      } finally {
        await templated.stop();
      }
    });

    it('falls back to the template when Meta answers 131047 to a send inside the window', async () => {
      const templated = await Harness.start({ graph: h.graph, templateName: 'stagemaatje_bericht' });
      try {
        const reference = await knownStudent(HOUR);
        h.graph.failNext = [{ status: 400, body: graphError(131047, 'Re-engagement message') }];
        await sendProactive(templated.channel, reference, { type: 'message', text: 'Hoi' });
        assert.deepEqual(h.graph.sends().map((s) => s.type), ['text', 'template']);
      } finally {
        await templated.stop();
      }
    });
  });

  describe('media downloads', () => {
    const context = () => new TurnContext(h.channel.adapter, { type: 'message', channelId: 'whatsapp' } as Activity);

    it('downloads a file through the Graph API with the access token', async () => {
      const data = Buffer.from('%PDF-1.4 fake');
      h.graph.media.set('doc-1', { data, mimeType: 'application/pdf' });
      const file = await h.channel.media.download(context(), { contentType: 'application/pdf', contentUrl: 'whatsapp-media:doc-1' }, 1024);
      assert.deepEqual(file, { contentType: 'application/pdf', data });
      const calls = h.graph.calls.filter((c) => c.method === 'GET');
      assert.deepEqual(calls.map((c) => c.path), ['/v23.0/doc-1', '/media/doc-1']);
      assert.ok(calls.every((c) => c.authorization === 'Bearer test-access-token'));
    });

    it('refuses a file over the limit, whether the size is declared or not', async () => {
      h.graph.media.set('big', { data: Buffer.alloc(2048), mimeType: 'image/jpeg' });
      h.graph.media.set('lying', { data: Buffer.alloc(2048), mimeType: 'image/jpeg', declaredSize: 10 });
      await assert.rejects(h.channel.media.download(context(), { contentType: 'image/jpeg', contentUrl: 'whatsapp-media:big' }, 1024), FileTooLargeError);
      assert.equal(h.graph.calls.filter((c) => c.path === '/media/big').length, 0, 'not even downloaded');
      await assert.rejects(h.channel.media.download(context(), { contentType: 'image/jpeg', contentUrl: 'whatsapp-media:lying' }, 1024), FileTooLargeError);
    });

    it('refuses an attachment that is not WhatsApp media', async () => {
      await assert.rejects(h.channel.media.download(context(), { contentType: 'image/png', contentUrl: 'https://example.org/x.png' }, 1024), /not a WhatsApp media/);
      assert.equal(h.graph.calls.length, 0);
    });
  });

  it('logs ids only: no phone number, message text or wamid', async () => {
    replies = [{ type: 'message', text: 'KANARIE antwoord' }];
    h.graph.failNext = [{ status: 500 }];
    await h.deliver(messagesPayload(textMessage('KANARIE vraag met 0612345678', { id: 'wamid.HBgLMzE2MDAwMDAwMDEVAgASGBRLQU5BUklF' })));
    const reference = await knownStudent(25 * HOUR, '31600000099');
    await sendProactive(h.channel, reference, { type: 'message', text: 'KANARIE laat' }).catch(() => undefined);
    const all = log.lines.join('\n');
    const events = log.lines.map((l) => (JSON.parse(l) as { event: string }).event);
    for (const event of ['whatsapp_webhook', 'whatsapp_api_retry', 'whatsapp_window_closed']) assert.ok(events.includes(event), event);
    for (const secret of ['KANARIE', STUDENT, '31600000099', '0612345678', 'HBgLMzE2MDAw', 'test-access-token']) assert.ok(!all.includes(secret), `log contains ${secret}`);
  });
});
