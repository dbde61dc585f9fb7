/**
 * End to end: the real app (testApp with WhatsApp switched on) listening on a port, signed webhooks
 * posted to it, and the bot's answers arriving at a fake Graph API.
 */
import assert from 'node:assert/strict';
import type { App } from '../../../src/app';
import { translator } from '../../../src/i18n/i18n';
import { testApp } from '../../helpers/app';
import { resetDb, testDb } from '../../helpers/db';
import { FakeGraphApi, offeredIds, shownText, type SentMessage } from './fakeGraphApi';
import { messagesPayload, nowSeconds, postWebhook, replyMessage, textMessage, wamid, whatsappEnv, type RawMessage } from './harness';

const REF = /SM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}/;
const nl = translator('nl');

/** One student on WhatsApp: sends messages and presses the buttons and list rows the bot offered. */
class WhatsAppStudent {
  last: SentMessage[] = [];
  readonly kinds = new Set<string>();

  constructor(
    readonly app: App,
    readonly graph: FakeGraphApi,
    readonly base: string,
    readonly waId = `316${Math.floor(10_000_000 + Math.random() * 89_999_999)}`,
  ) {}

  /** Posts a signed webhook with the message and returns what the bot sent back to this student. */
  async send(message: RawMessage): Promise<SentMessage[]> {
    const before = this.mine().length;
    const res = await postWebhook(this.base, messagesPayload({ ...message, from: this.waId }));
    assert.equal(res.status, 200);
    await this.app.whatsapp!.settled();
    this.last = this.mine().slice(before);
    for (const m of this.last) this.kinds.add(m.interactive?.type ?? m.type);
    return this.last;
  }

  text(text: string): Promise<SentMessage[]> {
    return this.send(textMessage(text));
  }

  /** Taps an offered choice: a reply button or a list row, whichever the bot used. */
  press(id: string): Promise<SentMessage[]> {
    const offer = [...this.last].reverse().find((m) => offeredIds(m).includes(id));
    assert.ok(offer, `"${id}" was not offered; the bot sent: ${JSON.stringify(this.last.map(offeredIds))}`);
    return this.send(replyMessage(offer.interactive!.type === 'button' ? 'button_reply' : 'list_reply', id));
  }

  private mine(): SentMessage[] {
    return this.graph.sends().filter((m) => m.to === this.waId);
  }
}

const all = (messages: SentMessage[]) => messages.map(shownText).join('\n');

describe('WhatsApp end to end (real server, real bot, fake Graph API)', () => {
  let app: App;
  let graph: FakeGraphApi;
  let base: string;

  before(async () => {
    graph = await new FakeGraphApi().start();
    app = await testApp(whatsappEnv(graph));
    const { port } = await app.listen();
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app.stop();
    await graph.stop();
  });
  beforeEach(async () => {
    await app.whatsapp?.settled();
    await resetDb(await testDb());
    graph.reset();
  });

  it('answers a handbook question with the answer and reply buttons', async () => {
    const student = new WhatsAppStudent(app, graph, base);
    const replies = await student.text('mag een bedrijf me weigeren omdat ik een hoofddoek draag?');
    assert.match(all(replies), /Bron: handboek/);
    const buttons = replies.filter((m) => m.interactive?.type === 'button');
    assert.ok(buttons.length > 0, 'reply buttons');
    assert.ok(buttons.some((m) => offeredIds(m).includes('menu:report')));
    for (const m of buttons) for (const b of m.interactive!.action.buttons!) assert.ok(b.reply.title.length <= 20);
    assert.ok(replies.length <= 5, `the turn's messages are merged (${replies.length})`);
    assert.equal(graph.readReceipts().length, 1, 'the question was marked as read');
  });

  it('walks a full report with button and list replies until the reference number arrives', async () => {
    const student = new WhatsAppStudent(app, graph, base);
    await student.text('hoi');
    let replies = await student.text('ik wil melden');
    assert.match(all(replies), /anoniem/i);
    replies = await student.text('Mijn begeleider zei dat ze geen stagiairs met een hoofddoek willen.');
    assert.deepEqual(replies.flatMap(offeredIds), ['role:victim', 'role:witness']);
    await student.press('role:victim');
    await student.text('vorige week dinsdag');
    await student.press('moment:during');
    await student.text('Bakkerij De Korenaar');
    replies = await student.press('consent:yes');
    assert.ok(replies.some((m) => m.interactive?.type === 'list' && offeredIds(m).includes('grounds:origin')), 'nine grounds: a list');
    await student.press('grounds:origin');
    await student.press('school:mbo');
    await student.press('evidence:later');
    await student.press('wishes:advice');
    replies = await student.press('contact:chat');
    assert.match(all(replies), /Dit is je melding/);
    replies = await student.press('report:submit');
    const ref = REF.exec(all(replies))?.[0];
    assert.ok(ref, `no reference number in: ${all(replies)}`);
    assert.ok(student.kinds.has('button') && student.kinds.has('list'), `used ${[...student.kinds]}`);
    const stored = await app.reports.show(ref);
    assert.equal(stored?.facts.role, 'victim');
    assert.deepEqual(stored?.facts.grounds, ['origin']);
    assert.equal(stored?.content.organisation, 'Bakkerij De Korenaar');
  });

  it('accepts a typed number for the n-th choice of a list', async () => {
    const student = new WhatsAppStudent(app, graph, base);
    const welcome = await student.text('hoi');
    const menu = welcome.find((m) => m.interactive?.type === 'list');
    assert.ok(menu, 'the menu is a list');
    assert.equal(offeredIds(menu)[1], 'menu:report');
    const replies = await student.text('2');
    assert.match(all(replies), /anoniem/i, 'the report starts');
  });

  it('explains kindly what it cannot read: a sticker, a location, an unsupported message', async () => {
    const student = new WhatsAppStudent(app, graph, base);
    await student.text('hoi');
    for (const message of [
      { id: wamid(), timestamp: nowSeconds(), type: 'sticker', sticker: { id: 'st-1', mime_type: 'image/webp' } },
      { id: wamid(), timestamp: nowSeconds(), type: 'location', location: { latitude: 52.07, longitude: 4.3 } },
      { id: wamid(), timestamp: nowSeconds(), type: 'unsupported', errors: [{ code: 131051 }] },
    ]) {
      const replies = await student.send(message);
      assert.match(all(replies), new RegExp(nl('input.noText').slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), message.type);
    }
    await student.send({ id: wamid(), timestamp: nowSeconds(), type: 'reaction', reaction: { message_id: 'wamid.x', emoji: '❤️' } });
    assert.equal(student.last.length, 0, 'a reaction needs no answer');
  });

  it('erases the student’s WhatsApp records on request and still delivers the confirmation', async () => {
    const student = new WhatsAppStudent(app, graph, base);
    await student.text('hoi');
    await student.text('verwijder mijn gegevens');
    const replies = await student.press('erase:yes');
    assert.match(all(replies), /verwijderd/);
    const db = await testDb();
    for (const table of ['wa_contacts', 'wa_inbox', 'wa_outbound']) {
      const { rows } = await db.query(`SELECT 1 FROM ${table}`);
      assert.equal(rows.length, 0, `${table} is empty`);
    }
  });
});
