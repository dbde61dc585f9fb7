/**
 * Erasure on request (AVG art. 17; design B6 40) and retention (B6 41).
 *
 * A WhatsApp student leaves canary strings everywhere a student can reach: a submitted report (text,
 * organisation, e-mail address) with an evidence photo, an unfinished second report, a counsellor
 * conversation (card summary, relayed messages both ways), WhatsApp contact/inbound/outbound records
 * and conversation/user state. After erasure, every table is scanned, raw and with every encrypted
 * value decrypted (test/helpers/dbScan.ts): no canary may remain, and another student's data must be
 * untouched. Erasure runs (a) through the chat ("verwijder mijn gegevens" + confirm) and (b) through
 * the counsellors' CLI (`npm run --silent reports -- erase-student <ref>` / `--whatsapp <number>`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { App } from '../../src/app';
import { createApp } from '../../src/app';
import { openDataServices } from '../../src/dataServices';
import { silentLogger } from '../../src/logger';
import { testApp, testConfig, TEST_KEY } from '../helpers/app';
import { resetDb, testDb, testDbUrl, TEST_SCHEMA } from '../helpers/db';
import { scanForCanaries } from '../helpers/dbScan';
import { FakeConnector } from '../helpers/fakeConnector';
import { StudentChat, buttons, texts } from '../helpers/studentChat';
import { HttpDriver, counsellors, teamsEnv } from '../helpers/teams';
import { WhatsAppStudent } from '../helpers/whatsappStudent';
import { FakeGraphApi } from '../channels/whatsapp/fakeGraphApi';
import { whatsappEnv } from '../channels/whatsapp/harness';

const root = path.resolve(__dirname, '../..');
const REF = /SM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}/;
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

interface Seeded {
  ref: string;
  /** Everything this student typed or sent that must be gone after erasure. */
  canaries: string[];
}

interface World {
  app: App;
  graph: FakeGraphApi;
  connector: FakeConnector;
  driver: HttpDriver;
  base: string;
}

/** A student with data in every store a student can reach. `handBack` closes the counsellor conversation. */
async function seedEverywhere(world: World, waId: string, tag: string, handBack: boolean): Promise<Seeded> {
  const c = {
    description: `KANARIE-${tag}-beschrijving`,
    organisation: `KANARIE-${tag}-bedrijf`,
    email: `kanarie.${tag}@example.nl`,
    evidence: `KANARIE-${tag}-bewijsfoto`,
    draft: `KANARIE-${tag}-concept`,
    summary: `KANARIE-${tag}-samenvatting`,
    relay: `KANARIE-${tag}-aan-medewerker`,
    counsellor: `KANARIE-${tag}-van-medewerker`,
  };
  const student = new WhatsAppStudent(world.app, world.graph, world.base, waId);
  await student.text('hoi');
  await student.text('ik wil melden');
  await student.text(`Mijn begeleider zei dat ik met mijn naam nooit een baan vind. ${c.description}`);
  await student.press('role:victim');
  await student.text('vorige week dinsdag');
  await student.press('moment:during');
  await student.text(c.organisation);
  await student.press('consent:yes');
  await student.press('grounds:origin');
  await student.press('school:mbo');
  await student.press('evidence:sending');
  await student.image(`media-${tag}`, Buffer.concat([PNG, Buffer.from(c.evidence)]));
  await student.press('evidence:done');
  await student.press('wishes:advice');
  await student.text(c.email);
  assert.ok(student.offered().includes('report:submit'), student.shown());
  await student.press('report:submit');
  const ref = REF.exec(student.shown())?.[0];
  assert.ok(ref, student.shown());
  const stored = await world.app.reports.show(ref);
  assert.equal(stored?.facts.fileCount, 1, 'the photo is kept as evidence');

  // An unfinished second report.
  await student.text('ik wil melden');
  await student.text(`Er is nog iets gebeurd op mijn stage. ${c.draft}`);
  await student.text('stop');

  // A counsellor conversation: the card summary holds recent messages; messages go both ways.
  await student.text(`Ik weet niet wat ik nu moet doen. ${c.summary}`);
  await student.text('ik wil een mens spreken');
  const handoff = (await world.app.handoffs.queue()).find((h) => h.state === 'queued');
  assert.ok(handoff?.threadId, 'the request reached Teams');
  await world.driver.press(counsellors.sara, handoff.threadId, 'claim', handoff.id);
  await student.text(`Fijn dat je er bent. ${c.relay}`);
  assert.ok(world.connector.activities(handoff.threadId).some((a) => a.text?.includes(c.relay)), 'relayed to the thread');
  await world.driver.counsellor(counsellors.sara, handoff.threadId, `Hoi, vertel maar. ${c.counsellor}`);
  await world.app.whatsapp!.settled();
  assert.ok(world.graph.sends().some((m) => m.to === waId && m.text?.body.includes(c.counsellor)), 'relayed to the student');
  if (handBack) await world.driver.press(counsellors.sara, handoff.threadId, 'handback', handoff.id);
  return { ref, canaries: [...Object.values(c), waId, waId.slice(2)] };
}

/** Another student, with a report of their own that must survive. */
async function seedBystander(world: World, waId: string, canary: string): Promise<string> {
  const student = new WhatsAppStudent(world.app, world.graph, world.base, waId);
  await student.text('hoi');
  await student.text('ik wil melden');
  await student.text(`Mijn klasgenoot werd uitgescholden door de chef. ${canary}`);
  await student.press('role:witness');
  await student.text('gisteren');
  await student.press('moment:during');
  await student.press('organisation:skip');
  await student.press('consent:no');
  await student.press('school:skip');
  await student.press('evidence:none');
  await student.press('wishes:heard');
  await student.press('contact:anonymous');
  await student.press('report:submit');
  const ref = REF.exec(student.shown())?.[0];
  assert.ok(ref, student.shown());
  return ref;
}

async function startWorld(app: App, graph: FakeGraphApi, connector: FakeConnector): Promise<World> {
  const { port } = await app.listen();
  const base = `http://127.0.0.1:${port}`;
  return { app, graph, connector, base, driver: new HttpDriver(base, connector) };
}


describe('erasure by the student in the chat', function () {
  this.timeout(60_000);
  let graph: FakeGraphApi;
  let connector: FakeConnector;
  let world: World;

  before(async () => {
    await resetDb(await testDb());
    graph = await new FakeGraphApi().start();
    connector = await new FakeConnector().start();
    world = await startWorld(await testApp({ ...whatsappEnv(graph), ...teamsEnv(connector) }), graph, connector);
  });
  after(async () => {
    await world.app.stop();
    await graph.stop();
    await connector.stop();
  });

  it('"verwijder mijn gegevens" + confirm leaves no canary in any table, raw or decrypted; another student is untouched', async () => {
    const bystanderCanary = 'OMSTANDER-ANDERE-STUDENT-9k2';
    const bystanderRef = await seedBystander(world, '31611110000', bystanderCanary);
    const victim = await seedEverywhere(world, '31687650123', 'chat', true);

    const db = await testDb();
    const before = await scanForCanaries(db, world.app.cipher, victim.canaries);
    for (const table of ['reports', 'report_drafts', 'media', 'handoffs', 'wa_contacts', 'wa_inbox', 'wa_outbound', 'bot_state', 'subject_keys']) {
      assert.ok(before.rows[table]! > 0, `seeded ${table}`);
    }
    assert.deepEqual(before.findings.filter((f) => f.where === 'raw'), [], 'encrypted at rest: no canary in the raw tables');
    const seen = new Set(before.findings.map((f) => `${f.table}.${f.column}`));
    for (const place of ['reports.data_enc', 'report_drafts.data_enc', 'media.data_enc', 'handoffs.summary_enc', 'wa_contacts.wa_id_enc', 'bot_state.data']) {
      assert.ok(seen.has(place), `the scan finds the canaries in ${place} before erasure (found: ${[...seen].join(', ')})`);
    }

    const student = new WhatsAppStudent(world.app, graph, world.base, '31687650123');
    await student.text('verwijder mijn gegevens');
    assert.ok(student.offered().includes('erase:yes'), student.shown());
    await student.press('erase:yes');
    assert.match(student.shown(), /verwijderd/, 'the confirmation still reaches the student');

    const after = await scanForCanaries(db, world.app.cipher, victim.canaries);
    assert.deepEqual(after.findings, [], 'no trace of the student in any table');
    assert.equal(after.undecryptable, 0);
    assert.ok(after.decrypted > 0);
    assert.equal(after.rows.handoffs, 0);
    assert.equal(after.rows.wa_contacts, 1, 'only the other student is still a WhatsApp contact');

    const bystander = await scanForCanaries(db, world.app.cipher, [bystanderCanary]);
    assert.ok(bystander.findings.some((f) => f.table === 'reports' && f.where === 'decrypted'), 'the other student’s report is untouched');
    assert.match((await world.app.reports.show(bystanderRef))?.content.description ?? '', new RegExp(bystanderCanary));
    assert.equal(await world.app.reports.show(victim.ref), undefined);
    assert.deepEqual(
      (await world.app.reports.counters()).map((c) => ({ event: c.event, count: c.count })),
      [{ event: 'erased', count: 1 }],
      'only an anonymous count of the erased report remains',
    );

    // A fresh start afterwards: welcomed as new.
    await student.text('hoi');
    assert.match(student.shown(), /Ik ben Stagemaatje/);
  });
});

describe('erasure by a counsellor with the reports CLI', function () {
  this.timeout(120_000);
  let graph: FakeGraphApi;
  let connector: FakeConnector;
  let env: Record<string, string>;
  let seeded: { byRef: Seeded; byNumber: Seeded; bystanderRef: string; bystanderCanary: string };
  let cli: Array<{ code: number | null; stderr: string }>;

  /** The app on a database of its own: the CLI is another process and must open the same one. */
  before(async () => {
    graph = await new FakeGraphApi().start();
    connector = await new FakeConnector().start();
    const url = testDbUrl();
    const config = testConfig({ ...whatsappEnv(graph), ...teamsEnv(connector), ...(url ? { DATABASE_URL: url, DATABASE_SCHEMA: `${TEST_SCHEMA}_cli` } : {}) });
    env = { DATA_DIR: config.dataDir, REPORT_ENCRYPTION_KEY: TEST_KEY, ...(url ? { DATABASE_URL: url, DATABASE_SCHEMA: `${TEST_SCHEMA}_cli` } : {}) };
    const app = await createApp(config, silentLogger);
    try {
      const world = await startWorld(app, graph, connector);
      const bystanderCanary = 'OMSTANDER-CLI-STUDENT-4q7';
      const bystanderRef = await seedBystander(world, '31611112222', bystanderCanary);
      const byRef = await seedEverywhere(world, '31687651111', 'cliref', true);
      // This one is still talking to a counsellor when erased.
      const byNumber = await seedEverywhere(world, '31687652222', 'clinum', false);
      seeded = { byRef, byNumber, bystanderRef, bystanderCanary };
    } finally {
      await app.stop();
    }
    cli = [await reportsCli(env, 'erase-student', seeded.byRef.ref), await reportsCli(env, 'erase-student', '--whatsapp', '+31 6 8765 2222')];
  });
  after(async () => {
    await graph.stop();
    await connector.stop();
    const url = testDbUrl();
    if (url) {
      const data = await openDataServices(testConfig({ DATABASE_URL: url, DATABASE_SCHEMA: `${TEST_SCHEMA}_cli` }), silentLogger);
      await data.db.query(`DROP SCHEMA IF EXISTS "${TEST_SCHEMA}_cli" CASCADE`);
      await data.db.close();
    }
  });

  async function withData<T>(work: (data: Awaited<ReturnType<typeof openDataServices>>) => Promise<T>): Promise<T> {
    const data = await openDataServices(testConfig(env), silentLogger);
    try {
      return await work(data);
    } finally {
      await data.db.close();
    }
  }

  it('erase-student <ref> and --whatsapp <number> succeed and remove reports, drafts, files and state; another student is untouched', async () => {
    for (const run of cli) assert.equal(run.code, 0, run.stderr);
    assert.match(cli[0]!.stderr, /Erased everything about this student/);
    await withData(async (data) => {
      const canaries = [...seeded.byRef.canaries, ...seeded.byNumber.canaries];
      const scan = await scanForCanaries(data.db, data.cipher, canaries);
      const inReportsOrState = scan.findings.filter((f) => ['reports', 'report_drafts', 'report_events', 'media', 'bot_state', 'subject_keys'].includes(f.table));
      assert.deepEqual(inReportsOrState, []);
      assert.equal(await data.reports.show(seeded.byRef.ref), undefined);
      assert.equal(await data.reports.show(seeded.byNumber.ref), undefined);
      assert.match((await data.reports.show(seeded.bystanderRef))?.content.description ?? '', new RegExp(seeded.bystanderCanary));
      assert.deepEqual((await data.reports.counters()).map((c) => [c.event, c.count]), [['erased', 2]]);
    });
  });

  it('leaves no canary in any table afterwards, counsellor conversations and WhatsApp records included', async () => {
    await withData(async (data) => {
      const scan = await scanForCanaries(data.db, data.cipher, [...seeded.byRef.canaries, ...seeded.byNumber.canaries]);
      assert.deepEqual(scan.findings, []);
      assert.equal(scan.undecryptable, 0);
      assert.equal(scan.rows.handoffs, 0);
      assert.equal(scan.rows.wa_contacts, 1);
    });
  });
});

/** Runs `npm run --silent reports -- <args>` against the given database, as a counsellor would. */
function reportsCli(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'reports', '--', ...args], {
      cwd: root,
      // No update check: npm would ask the registry (tests never reach the internet).
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '--no-deprecation', npm_config_update_notifier: 'false', NO_UPDATE_NOTIFIER: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('retention', function () {
  this.timeout(30_000);

  it('removes drafts and their files after DRAFT_RETENTION_DAYS, and reports with their files after REPORT_RETENTION_DAYS', async () => {
    await resetDb(await testDb());
    const clock = { now: new Date() };
    const day = 86_400_000;
    const app = await testApp({ REPORT_RETENTION_DAYS: '365', DRAFT_RETENTION_DAYS: '30' }, { now: () => clock.now });
    const db = await testDb();
    const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    const photo = (text: string) => ({ contentType: 'image/png', contentUrl: `data:image/png;base64,${Buffer.concat([PNG, Buffer.from(text)]).toString('base64')}`, name: 'foto.png' });
    try {
      // A submitted report with a photo.
      const chat = new StudentChat(app);
      await chat.send('hoi');
      await chat.send('ik wil melden');
      await chat.send('BEWAAR-KANARIE de manager lachte me uit om mijn accent.');
      await chat.press('role:victim');
      await chat.press('when:unknown');
      await chat.press('moment:other');
      await chat.press('organisation:skip');
      await chat.press('consent:no');
      await chat.press('school:skip');
      await chat.press('evidence:sending');
      await chat.sendAttachment(photo('BEWAAR-KANARIE-foto'));
      await chat.press('evidence:done');
      await chat.press('wishes:heard');
      await chat.press('contact:anonymous');
      const ref = REF.exec(texts(await chat.press('report:submit')))?.[0];
      assert.ok(ref);
      // An unfinished report with a photo, by someone else.
      const other = new StudentChat(app);
      await other.send('hoi');
      await other.send('ik wil melden');
      await other.send('CONCEPT-KANARIE iets wat ik nog niet af heb.');
      const kept = await other.sendAttachment(photo('CONCEPT-KANARIE-foto'));
      assert.ok(texts(kept).length > 0);
      assert.ok(buttons(await other.send('stop')).includes('cmd:resume'));
      assert.equal(await count('report_drafts'), 1);
      assert.equal(await count('media'), 2);

      clock.now = new Date(clock.now.getTime() + 29 * day);
      await app.runMaintenance();
      assert.equal(await count('report_drafts'), 1, 'a draft is kept within its retention');

      clock.now = new Date(clock.now.getTime() + 2 * day);
      await app.runMaintenance();
      assert.equal(await count('report_drafts'), 0, 'the draft expired');
      assert.equal(await count('media'), 1, 'with its photo; the report keeps its own');
      assert.ok(await app.reports.show(ref));

      clock.now = new Date(clock.now.getTime() + 335 * day);
      await app.runMaintenance();
      assert.equal(await app.reports.show(ref), undefined, 'the report expired');
      for (const table of ['reports', 'report_events', 'media', 'report_drafts']) assert.equal(await count(table), 0, table);
      assert.deepEqual((await app.reports.counters()).map((c) => [c.event, c.count]), [['expired', 1]], 'only an anonymous count remains');
      const scan = await scanForCanaries(db, app.cipher, ['BEWAAR-KANARIE', 'CONCEPT-KANARIE']);
      assert.deepEqual(scan.findings, [], 'nothing of either student is left, conversation state included');
    } finally {
      await app.stop();
    }
  });

  // Conversation state holds the last five messages (for a counsellor's summary) and the dialog state.
  it('removes the conversation state of a student who went quiet after DRAFT_RETENTION_DAYS', async () => {
    await resetDb(await testDb());
    const clock = { now: new Date() };
    const app = await testApp({ DRAFT_RETENTION_DAYS: '30' }, { now: () => clock.now });
    try {
      const chat = new StudentChat(app);
      await chat.send('hoi');
      await chat.send('STILTE-KANARIE mijn begeleider negeert me');
      const db = await testDb();
      clock.now = new Date(clock.now.getTime() + 29 * 86_400_000);
      await app.runMaintenance();
      assert.ok((await scanForCanaries(db, app.cipher, ['STILTE-KANARIE'])).findings.some((f) => f.table === 'bot_state'), 'kept within the retention');
      clock.now = new Date(clock.now.getTime() + 2 * 86_400_000);
      await app.runMaintenance();
      const scan = await scanForCanaries(db, app.cipher, ['STILTE-KANARIE']);
      assert.deepEqual(scan.findings, []);
      assert.equal(scan.rows.bot_state, 0);
      assert.equal(scan.rows.subject_keys, 0, 'and the keys that pointed at it');
    } finally {
      await app.stop();
    }
  });
});
