import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import { testDb } from '../helpers/db';
import type { FakeConnector } from '../helpers/fakeConnector';
import { CHANNEL_ID, connectorForSuite, counsellors, HttpDriver, startWithTeams, texts } from '../helpers/teams';

interface Clock {
  now: Date;
}

/** The app with a 15-minute handoff timeout, and a clock the test can move. */
function start(connector: FakeConnector, env: Record<string, string> = {}, clock?: Clock): Promise<{ app: App; driver: HttpDriver }> {
  return startWithTeams(connector, { HANDOFF_TIMEOUT_MINUTES: '15', ...env }, clock ? { now: () => clock.now } : {});
}

describe('counsellor handoff over Teams', function () {
  this.timeout(30_000);
  const connector = connectorForSuite();
  let app: App;
  let driver: HttpDriver;

  beforeEach(async () => {
    ({ app, driver } = await start(connector));
  });
  afterEach(async () => app.stop());

  /** A student asks for a person; returns the thread and handoff id the card was posted with. */
  async function requestPerson(student: string): Promise<{ threadId: string; handoffId: string; label: string }> {
    await driver.student(student, 'hoi');
    await driver.student(student, 'mijn stagebegeleider zegt steeds dat ik terug moet naar mijn land. bel me op 0612345678');
    const replies = await driver.student(student, 'ik wil een mens spreken');
    assert.match(texts(replies), /nummer 1 in de rij/);
    const created = await connector.waitFor((c) => c.method === 'POST' && c.path === '/v3/conversations');
    const body = created.body as { channelData: { channel: { id: string } }; activity: { attachments: Array<{ content: { actions: Array<{ data: { action: string; handoffId: string } }>; body: unknown[] } }> } };
    assert.equal(body.channelData.channel.id, CHANNEL_ID);
    const card = body.activity.attachments[0]!.content;
    const actions = card.actions.map((a) => a.data.action);
    assert.deepEqual(actions, ['claim', 'close']);
    const handoff = (await app.handoffs.queue())[0]!;
    assert.ok(handoff.threadId?.startsWith(`${CHANNEL_ID};messageid=`));
    return { threadId: handoff.threadId!, handoffId: actions.length ? card.actions[0]!.data.handoffId : '', label: handoff.label };
  }

  it('posts a request as a card in a new thread: pseudonymous label, reason, redacted summary, machine-named buttons', async () => {
    await requestPerson('s1');
    const created = connector.calls.find((c) => c.path === '/v3/conversations')!;
    const json = JSON.stringify(created.body);
    assert.match(json, /Student [2-9A-Z]{4}/);
    assert.match(json, /Vroeg zelf om een mens/);
    assert.match(json, /terug moet naar mijn land/, 'the summary shows what the student wrote');
    assert.ok(!json.includes('0612345678'), 'phone numbers are redacted');
    assert.match(json, /TextRun/, 'student text is shown as plain text, not Markdown');
  });

  it('offers a person after two questions it could not answer, and tells the counsellor why', async () => {
    await driver.student('lc', 'hoi');
    await driver.student('lc', 'wat is de hoofdstad van frankrijk');
    const second = await driver.student('lc', 'hoe laat gaat de tram naar scheveningen');
    const offer = second.at(-1)?.suggestedActions?.actions.map((a) => a.text) ?? [];
    assert.ok(offer.includes('human:lowConfidence'), JSON.stringify(offer));
    await driver.student('lc', 'human:lowConfidence', { choice: 'human:lowConfidence' });
    const created = await connector.waitFor((c) => c.path === '/v3/conversations');
    assert.match(JSON.stringify(created.body), /De bot kon de vraag niet beantwoorden/);
  });

  it('lets exactly one of two counsellors claim at the same time; the card updates for everyone', async () => {
    const { threadId, handoffId } = await requestPerson('s2');
    connector.reset();
    await Promise.all([driver.press(counsellors.sara, threadId, 'claim', handoffId), driver.press(counsellors.tom, threadId, 'claim', handoffId)]);
    const all = texts(connector.activities(threadId));
    assert.equal((all.match(/opgepakt\. Typ in deze draad/g) ?? []).length, 1, all);
    assert.equal((all.match(/heeft deze student al opgepakt/g) ?? []).length, 1, all);
    assert.equal((await app.handoffs.get(handoffId))?.state, 'claimed');
    const update = await connector.waitFor((c) => c.method === 'PUT' && c.conversationId === threadId);
    assert.match(JSON.stringify(update.body), /Opgepakt door (Sara|Tom)/);
    const student = connector.activities('conv-s2').map((x) => x.text).join('\n');
    assert.match(student, /(Sara|Tom) is er nu voor je/);
  });

  it('relays both ways, keeps private notes private, and hands back with a satisfaction question', async () => {
    const { threadId, handoffId, label } = await requestPerson('s3');
    await driver.press(counsellors.sara, threadId, 'claim', handoffId);

    connector.reset();
    await driver.counsellor(counsellors.sara, threadId, 'Hoi, ik ben Sara. Vertel het maar.');
    assert.match(texts(connector.activities('conv-s3')), /Sara \(medewerker\): Hoi, ik ben Sara\. Vertel het maar\./);

    connector.reset();
    const silent = await driver.student('s3', 'Dank je, het gebeurde vorige week');
    assert.equal(silent.length, 0, 'the bot itself is silent while a counsellor owns the chat');
    assert.match(texts(connector.activities(threadId)), new RegExp(`${label}: Dank je, het gebeurde vorige week`));

    connector.reset();
    await driver.counsellor(counsellors.sara, threadId, '// ik bel haar morgen');
    assert.equal(connector.activities('conv-s3').length, 0, 'a // note is not relayed');

    connector.reset();
    await driver.counsellor(counsellors.tom, threadId, 'Ik kan ook helpen');
    assert.equal(connector.activities('conv-s3').length, 0, 'only the counsellor who claimed talks to the student');

    connector.reset();
    await driver.press(counsellors.sara, threadId, 'handback', handoffId);
    const back = connector.activities('conv-s3');
    assert.match(texts(back), /weer met Stagemaatje/);
    assert.deepEqual(back.at(-1)?.suggestedActions?.actions.map((x) => x.text), ['satisfaction:good', 'satisfaction:ok', 'satisfaction:bad']);
    await driver.student('s3', 'satisfaction:good', { choice: 'satisfaction:good' });
    const db = await testDb();
    const { rows } = await db.query<{ satisfaction: string; state: string }>('SELECT satisfaction, state FROM handoffs');
    assert.deepEqual(rows[0], { satisfaction: 'good', state: 'closed' });
    const after = await driver.student('s3', 'mag ik anoniem melden?');
    assert.ok(after.length > 0, 'the bot answers again after the hand-back');
  });

  it('forwards a student image into the thread', async () => {
    const { threadId, handoffId } = await requestPerson('s4');
    await driver.press(counsellors.sara, threadId, 'claim', handoffId);
    connector.reset();
    await driver.studentAttachment('s4', { contentType: 'image/png', contentUrl: 'data:image/png;base64,iVBORw0KGgo=', name: 'screenshot.png' });
    const posted = connector.activities(threadId);
    assert.ok(posted.some((a) => a.attachments?.[0]?.contentType === 'image/png'), JSON.stringify(posted));
  });

  it('sends crisis lines to the student at once during a human conversation, and tells the counsellor', async () => {
    const { threadId, handoffId } = await requestPerson('s5');
    await driver.press(counsellors.sara, threadId, 'claim', handoffId);
    connector.reset();
    const replies = await driver.student('s5', 'ik wil niet meer leven');
    assert.match(texts(replies), /113/);
    const thread = texts(connector.activities(threadId));
    assert.match(thread, /ik wil niet meer leven/);
    assert.match(thread, /crisislijnen/);
  });

  it('lets the student stop talking to the person, and stop waiting', async () => {
    const first = await requestPerson('s6');
    await driver.press(counsellors.sara, first.threadId, 'claim', first.handoffId);
    connector.reset();
    const stopped = await driver.student('s6', 'stop gesprek');
    assert.match(texts(stopped), /gesprek met de medewerker is gestopt/);
    assert.match(texts(connector.activities(first.threadId)), /heeft het gesprek gestopt/);

    connector.reset();
    const waiting = await driver.student('s7', 'ik wil een mens spreken');
    assert.match(texts(waiting), /nummer/);
    const cancelled = await driver.student('s7', 'handoff:cancel', { choice: 'handoff:cancel' });
    assert.match(texts(cancelled), /wacht niet meer/);
    assert.equal((await app.handoffs.queue()).length, 0);
  });

  it('closes a waiting request and tells the student kindly', async () => {
    const { threadId, handoffId } = await requestPerson('s8');
    const reply = await driver.press(counsellors.tom, threadId, 'close', handoffId);
    assert.match(texts(reply), /is gesloten/);
    assert.match(texts(connector.activities('conv-s8')), /is gesloten/);
  });

  it('refuses actions from another channel or tenant, and logs them', async () => {
    const { threadId, handoffId } = await requestPerson('s9');
    const other = '19:otherchannel@thread.tacv2';
    const refused = await driver.counsellor(counsellors.tom, `${other};messageid=1`, '', { value: { action: 'claim', handoffId }, channelId: other });
    assert.match(texts(refused), /alleen in het kanaal van de medewerkers/);
    const otherTenant = await driver.counsellor(counsellors.tom, threadId, '', { value: { action: 'claim', handoffId }, tenantId: '99999999-0000-0000-0000-000000000000' });
    assert.match(texts(otherTenant), /alleen in het kanaal van de medewerkers/);
    assert.equal((await app.handoffs.get(handoffId))?.state, 'queued');
  });

  it('lists the open queue on request', async () => {
    await requestPerson('s10');
    const listed = await driver.counsellor(counsellors.sara, CHANNEL_ID, 'wachtrij', { mention: true });
    assert.match(JSON.stringify(listed), /Open vragen: 1/);
  });

  it('carries on relaying after a restart in the middle of a claimed conversation', async () => {
    const { threadId, handoffId, label } = await requestPerson('s11');
    await driver.press(counsellors.sara, threadId, 'claim', handoffId);
    await app.stop();
    ({ app, driver } = await start(connector));
    connector.reset();
    await driver.counsellor(counsellors.sara, threadId, 'Ben je er nog?');
    assert.match(texts(connector.activities('conv-s11')), /Sara \(medewerker\): Ben je er nog\?/);
    await driver.student('s11', 'ja hoor');
    assert.match(texts(connector.activities(threadId)), new RegExp(`${label}: ja hoor`));
  });

  it('tells the student that a message could not reach the counsellor when Teams refuses it', async () => {
    const { threadId, handoffId } = await requestPerson('s12');
    await driver.press(counsellors.sara, threadId, 'claim', handoffId);
    connector.failNext.push({ status: 403, match: (c) => c.conversationId === threadId });
    const replies = await driver.student('s12', 'hallo?');
    assert.match(texts(replies), /kwam niet aan bij de medewerker/);
  });
});

describe('counsellor handoff: office hours, timeouts and set-up', function () {
  this.timeout(30_000);
  const connector = connectorForSuite();

  it('out of office hours: says when people are back and takes a message for the counsellors', async () => {
    // Sunday 29 November 2026, 03:00 in Amsterdam.
    const clock = { now: new Date('2026-11-29T02:00:00Z') };
    const { app, driver } = await start(connector, { COUNSELLOR_HOURS: 'mon-fri 09:00-17:00' }, clock);
    try {
      const replies = await driver.student('n1', 'ik wil een mens spreken');
      assert.match(texts(replies), /Er is nu geen medewerker/);
      assert.match(texts(replies), /maandag/);
      const created = await connector.waitFor((c) => c.path === '/v3/conversations');
      assert.match(JSON.stringify(created.body), /buiten kantoortijd/);
      await driver.student('n1', 'handoff:leaveMessage', { choice: 'handoff:leaveMessage' });
      const left = await driver.student('n1', 'Bel me maandag alsjeblieft');
      assert.match(texts(left), /doorgegeven/);
      const threadId = (await app.handoffs.queue())[0]!.threadId!;
      assert.match(texts(connector.activities(threadId)), /liet een bericht achter: Bel me maandag alsjeblieft/);
    } finally {
      await app.stop();
    }
  });

  it('tells a waiting student once when nobody claimed within the timeout, and keeps the request open', async () => {
    const clock = { now: new Date('2026-11-25T10:00:00Z') };
    const { app, driver } = await start(connector, { COUNSELLOR_HOURS: 'always' }, clock);
    try {
      await driver.student('t1', 'ik wil een mens spreken');
      await app.handoff.sweep();
      assert.equal(connector.activities('conv-t1').filter((a) => /langer dan we hoopten/.test(a.text ?? '')).length, 0);
      clock.now = new Date('2026-11-25T10:16:00Z');
      await app.handoff.sweep();
      await app.handoff.sweep();
      const notices = connector.activities('conv-t1').filter((a) => /langer dan we hoopten/.test(a.text ?? ''));
      assert.equal(notices.length, 1, 'told once, no spam');
      assert.equal((await app.handoffs.queue())[0]?.state, 'queued');
    } finally {
      await app.stop();
    }
  });

  it('is set up from inside Teams with a setup command when no channel is configured', async () => {
    const { app, driver } = await start(connector, { TEAMS_COUNSELLOR_CHANNEL_ID: '', TEAMS_TENANT_ID: '', TEAMS_SERVICE_URL: '' });
    try {
      const before = await driver.student('u1', 'ik wil een mens spreken');
      assert.match(texts(before), /geen medewerker bereiken/);
      const setup = await driver.counsellor(counsellors.sara, CHANNEL_ID, 'setup', { mention: true });
      assert.match(texts(setup), /kanaal voor de medewerkers/);
      const after = await driver.student('u2', 'ik wil een mens spreken');
      assert.match(texts(after), /nummer 1 in de rij/);
      const otherTenant = await driver.counsellor(counsellors.tom, '19:x@thread.tacv2', 'setup', { mention: true, channelId: '19:x@thread.tacv2', tenantId: '99999999-0000-0000-0000-000000000000' });
      assert.match(texts(otherTenant), /andere organisatie/);
    } finally {
      await app.stop();
    }
  });
});
