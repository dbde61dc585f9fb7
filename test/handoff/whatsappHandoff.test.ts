/**
 * The handoff between a student on WhatsApp and a counsellor in Teams: the real app over HTTP,
 * signed webhooks in, a fake Graph API and a fake Bot Connector receiving what the bot sends.
 */
import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import { testApp } from '../helpers/app';
import { resetDb, testDb } from '../helpers/db';
import { FakeConnector } from '../helpers/fakeConnector';
import { counsellors, HttpDriver, teamsEnv, texts } from '../helpers/teams';
import { FakeGraphApi, shownText } from '../channels/whatsapp/fakeGraphApi';
import { messagesPayload, postWebhook, textMessage, whatsappEnv } from '../channels/whatsapp/harness';

describe('handoff between WhatsApp and Teams', function () {
  this.timeout(30_000);
  let connector: FakeConnector;
  let graph: FakeGraphApi;
  let app: App;
  let driver: HttpDriver;
  let base: string;
  const waId = '31611112222';

  before(async () => {
    connector = await new FakeConnector().start();
    graph = await new FakeGraphApi().start();
  });
  after(async () => {
    await connector.stop();
    await graph.stop();
  });
  beforeEach(async () => {
    await resetDb(await testDb());
    connector.reset();
    graph.reset();
    app = await testApp({
      ...whatsappEnv(graph),
      ...teamsEnv(connector),
    });
    const { port } = await app.listen();
    base = `http://127.0.0.1:${port}`;
    driver = new HttpDriver(base, connector);
  });
  afterEach(async () => app.stop());

  async function whatsapp(text: string): Promise<string> {
    const before = graph.sends().length;
    const res = await postWebhook(base, messagesPayload({ ...textMessage(text), from: waId }));
    assert.equal(res.status, 200);
    await app.whatsapp!.settled();
    return graph.sends().slice(before).map(shownText).join('\n');
  }

  async function claimedHandoff(): Promise<{ threadId: string; handoffId: string; label: string }> {
    await whatsapp('hoi');
    assert.match(await whatsapp('ik wil een mens spreken'), /nummer 1 in de rij/);
    const handoff = (await app.handoffs.queue())[0]!;
    await driver.press(counsellors.sara, handoff.threadId!, 'claim', handoff.id);
    return { threadId: handoff.threadId!, handoffId: handoff.id, label: handoff.label };
  }

  it('relays a counsellor message to the student on WhatsApp, and the student’s answer to the thread', async () => {
    const { threadId, label } = await claimedHandoff();
    assert.ok(graph.sends().some((m) => /Sara is er nu voor je/.test(shownText(m))));
    const before = graph.sends().length;
    await driver.counsellor(counsellors.sara, threadId, 'Hoi! Wat is er gebeurd?');
    const sent = graph.sends().slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.to, waId);
    assert.match(shownText(sent[0]!), /Sara \(medewerker\): Hoi! Wat is er gebeurd\?/);

    connector.reset();
    assert.equal(await whatsapp('Mijn baas noemde me een buitenlander'), '', 'the bot is silent');
    assert.match(texts(connector.activities(threadId)), new RegExp(`${label}: Mijn baas noemde me een buitenlander`));
    assert.ok(!JSON.stringify(connector.calls).includes(waId), 'the phone number never reaches Teams');
  });

  it('tells the counsellor when a message cannot be delivered because the 24-hour window closed', async () => {
    const { threadId } = await claimedHandoff();
    const db = await testDb();
    await db.query(`UPDATE wa_contacts SET last_inbound_at = now() - interval '25 hours'`);
    connector.reset();
    const replies = await driver.counsellor(counsellors.sara, threadId, 'Ben je er nog?');
    const notice = texts(replies) + texts(connector.activities(threadId));
    assert.match(notice, /Niet afgeleverd/);
    assert.ok(!graph.sends().some((m) => /Ben je er nog/.test(shownText(m))));
  });

  it('announces a submitted report in the counsellors’ channel, without personal details', async () => {
    const { ref } = await app.reports.submit('owner-x', '00000000-0000-0000-0000-0000000000aa', 'nl', {
      description: 'KANARIE beschrijving met naam Fatima',
      role: 'victim',
      when: { precision: 'unknown', text: 'weet ik niet' },
      moment: 'interview',
      organisation: 'KANARIE Bakkerij',
      consent: { given: true, at: new Date().toISOString(), textVersion: 'v', lang: 'nl' },
      grounds: ['religion'],
      school: '',
      evidence: { status: 'none', files: [] },
      wishes: ['advice'],
      contact: { method: 'email', value: 'fatima@example.nl' },
    });
    const created = await connector.waitFor((c) => c.path === '/v3/conversations' && JSON.stringify(c.body).includes(ref));
    const card = JSON.stringify(created.body);
    assert.match(card, /Nieuwe melding/);
    assert.match(card, /Geloof/);
    assert.ok(!card.includes('KANARIE') && !card.includes('fatima@example.nl'), 'no personal details in the channel');
  });
});
