/**
 * Log hygiene (design B3, B6 43): everything the app logs at level debug during a full report on
 * WhatsApp (a canary description, a name, an e-mail address, phone numbers), a counsellor
 * conversation with messages both ways, and a Web Chat student with a display name, is captured with
 * the app's real logger (src/logger.ts) writing into memory. None of what the students typed, their
 * names, numbers or WhatsApp message ids (a wamid encodes the phone number) may appear in any line:
 * only ids, pseudonyms and counts. The same holds when a turn fails.
 * botbuilder writes to the console on its own; console output is captured and checked too.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { App } from '../../src/app';
import { withoutEchoedText } from '../../src/text/redact';
import { testApp } from '../helpers/app';
import { resetDb, testDb } from '../helpers/db';
import { FakeConnector } from '../helpers/fakeConnector';
import { LogCapture } from '../helpers/logCapture';
import { HttpDriver, counsellors, teamsEnv } from '../helpers/teams';
import { WhatsAppStudent } from '../helpers/whatsappStudent';
import { FakeGraphApi } from '../channels/whatsapp/fakeGraphApi';
import { nowSeconds, payload, postWebhook, whatsappEnv } from '../channels/whatsapp/harness';

const REF = /SM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}/;
const WA_NUMBER = '31645678901';
const SECRETS = {
  canary: 'LOGKANARIE-7d1e',
  name: 'Fatima El Amrani',
  firstName: 'Fatima',
  lastName: 'El Amrani',
  email: 'fatima.elamrani@example.nl',
  phone: '06-12345678',
  phoneDigits: '12345678',
  waNumber: WA_NUMBER,
  waLocal: WA_NUMBER.slice(2),
  relay: 'LOGKANARIE-gesprek',
  counsellor: 'LOGKANARIE-antwoord',
};

describe('log hygiene', function () {
  this.timeout(60_000);
  let graph: FakeGraphApi;
  let connector: FakeConnector;
  let logs: LogCapture;
  let app: App;
  let base: string;
  let driver: HttpDriver;
  let console: string[];
  let sandbox: sinon.SinonSandbox;

  before(async () => {
    graph = await new FakeGraphApi().start();
    connector = await new FakeConnector().start();
  });
  after(async () => {
    await graph.stop();
    await connector.stop();
  });
  beforeEach(async () => {
    await resetDb(await testDb());
    graph.reset();
    connector.reset();
    logs = new LogCapture('debug');
    app = await testApp({ ...whatsappEnv(graph), ...teamsEnv(connector), LOG_LEVEL: 'debug' }, {}, logs.logger);
    const { port } = await app.listen();
    base = `http://127.0.0.1:${port}`;
    driver = new HttpDriver(base, connector);
    console = [];
    sandbox = sinon.createSandbox();
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      sandbox.stub(globalThis.console, method).callsFake((...args: unknown[]) => void console.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')));
    }
  });
  afterEach(async () => {
    sandbox.restore();
    await app.stop();
  });

  /** Lines (log or console) that give away any secret or WhatsApp message id. */
  function leaks(extra: string[] = []): string[] {
    const needles = [...Object.values(SECRETS), ...extra];
    const found: string[] = [];
    for (const needle of needles) {
      for (const line of logs.containing(needle)) found.push(`log has "${needle}": ${line}`);
      for (const line of console) if (line.includes(needle)) found.push(`console has "${needle}": ${line}`);
    }
    return found;
  }

  it('logs ids, not what students typed, through a full report, a counsellor conversation and Web Chat', async () => {
    const student = new WhatsAppStudent(app, graph, base, WA_NUMBER);
    await student.text('hoi');
    await student.text('ik wil melden');
    await student.text(`Mijn naam is ${SECRETS.name}. De chef zei dat ik niet welkom was. Bel me op ${SECRETS.phone}. ${SECRETS.canary}`);
    await student.press('role:victim');
    await student.text('vorige week dinsdag');
    await student.press('moment:during');
    await student.text(`Bakkerij ${SECRETS.lastName}`);
    await student.press('consent:yes');
    await student.press('grounds:origin');
    await student.press('school:mbo');
    await student.press('evidence:none');
    await student.press('wishes:advice');
    await student.text(SECRETS.email);
    await student.press('report:submit');
    const ref = REF.exec(student.shown())?.[0];
    assert.ok(ref, student.shown());

    await student.text('ik wil een mens spreken');
    const handoff = (await app.handoffs.queue())[0]!;
    await driver.press(counsellors.sara, handoff.threadId!, 'claim', handoff.id);
    await student.text(`Ik ben ${SECRETS.firstName}, ${SECRETS.relay}`);
    await driver.counsellor(counsellors.sara, handoff.threadId!, `Dag ${SECRETS.firstName}, ${SECRETS.counsellor}`);
    await app.whatsapp!.settled();
    await driver.press(counsellors.sara, handoff.threadId!, 'handback', handoff.id);

    // Web Chat carries the student's display name in every activity.
    const res = await driver.post({ type: 'message', channelId: 'webchat', from: { id: 'web-fatima', name: SECRETS.name }, recipient: { id: 'bot' }, conversation: { id: 'web-fatima-conv' }, text: `Ik ben ${SECRETS.name}, ${SECRETS.email}, ${SECRETS.canary}` });
    assert.equal(res.status, 200);
    // Meta's delivery news names the student's number (a debug line).
    const delivered = { id: 'wamid.FAKEOUT000001', status: 'delivered', timestamp: nowSeconds(), recipient_id: WA_NUMBER };
    assert.equal((await postWebhook(base, payload([{ statuses: [delivered] }]))).status, 200);
    await app.whatsapp!.settled();

    const events = new Set(logs.events());
    for (const event of ['whatsapp_webhook', 'student_message', 'report_submitted', 'handoff_requested', 'handoff_claimed', 'handoff_handback']) {
      assert.ok(events.has(event), `logged ${event} (got ${[...events].join(', ')})`);
    }
    assert.ok(logs.lines.some((l) => l.includes(ref)), 'report references are logged (they identify a report, not a person)');
    assert.ok(logs.records().some((r) => r.level === 'debug'), 'debug lines were captured');
    assert.deepEqual(leaks(student.sentIds), []);
  });

  it('keeps message text out of the logs when a turn fails (error messages and stack traces)', async () => {
    const student = new WhatsAppStudent(app, graph, base, WA_NUMBER);
    await student.text('hoi');
    await student.text('ik wil melden');
    const webChat = (text: string) =>
      driver.post({ type: 'message', channelId: 'webchat', from: { id: 'web-fail', name: SECRETS.name }, recipient: { id: 'bot' }, conversation: { id: 'web-fail-conv' }, text });
    assert.equal((await webChat('ik wil melden')).status, 200);
    // Saving the answer fails: with an error that quotes its input (as JSON.parse and PostgreSQL do),
    // or because the database connection drops.
    const echo = async (_owner: string, _id: string, _lang: string, draft: { description?: string }) => {
      JSON.parse(draft.description ?? '');
    };
    const saveDraft = sandbox.stub(app.reports, 'saveDraft').callsFake(echo);
    saveDraft.onSecondCall().rejects(new Error('Connection terminated unexpectedly'));
    await student.text(`${SECRETS.name} zei dat ik niet welkom was. ${SECRETS.canary}`);
    assert.equal((await webChat(`${SECRETS.name}: ${SECRETS.canary} ${SECRETS.email}`)).status, 200);
    assert.equal((await webChat(`${SECRETS.name} schreef mij ${SECRETS.email}`)).status, 200);
    await app.whatsapp!.settled();

    const failures = logs.records().filter((r) => r.event === 'turn_failed' || r.event === 'whatsapp_turn_failed');
    assert.equal(failures.length, 3, `the failures were logged: ${logs.events().join(', ')}`);
    assert.ok(failures.some((r) => String(r.stack).includes('Connection terminated')), 'with their stack');
    assert.ok(failures.some((r) => /is not valid JSON/.test(String(r.err))), 'and what went wrong');
    assert.deepEqual(leaks(student.sentIds), []);
  });

  it('takes quoted echoes of the student’s text out of an error', () => {
    const typed = 'Fatima El Amrani zei iets';
    let echo: Error | undefined;
    try {
      JSON.parse(typed);
    } catch (err) {
      echo = err as Error;
    }
    assert.match(echo!.message, /Fatima El/);
    const scrubbed = withoutEchoedText(echo!, [typed]);
    assert.doesNotMatch(`${scrubbed.message}\n${scrubbed.stack}`, /Fatima|Amrani/);
    assert.match(scrubbed.message, /is not valid JSON/, 'the rest of the message stays');
    const pg = withoutEchoedText(new Error('invalid input syntax for type uuid: "Amrani zei"'), [typed]);
    assert.equal(pg.message, 'invalid input syntax for type uuid: "[text]"');
    const unrelated = withoutEchoedText(new Error('relation "reports" does not exist'), [typed]);
    assert.equal(unrelated.message, 'relation "reports" does not exist', 'other quoted parts stay');
  });
});
