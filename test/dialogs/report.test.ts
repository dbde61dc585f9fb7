import assert from 'node:assert/strict';
import { listTables } from '../../src/storage/migrations';
import { PgStorage } from '../../src/storage/pgStorage';
import { appForSuite, testApp } from '../helpers/app';
import { testDb } from '../helpers/db';
import { StudentChat, buttons, texts, type Reply } from '../helpers/studentChat';

const REF = /SM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}/;
const CANARY = 'KANARIE-7f3a9 mijn begeleider zei iets vreselijks';
// Wednesday 25 November 2026: dates in these conversations are relative to it.
const NOW = new Date('2026-11-25T11:00:00Z');

/** Counts the prompts (messages with buttons, or questions) a student answered. */
class Walk {
  prompts = 0;
  last: Reply[] = [];
  constructor(readonly chat: StudentChat) {}
  async send(text: string): Promise<Reply[]> {
    this.last = await this.chat.send(text);
    this.prompts++;
    return this.last;
  }
  async press(value: string): Promise<Reply[]> {
    this.last = await this.chat.press(value);
    this.prompts++;
    return this.last;
  }
}

function refIn(replies: Reply[]): string {
  const match = REF.exec(texts(replies));
  assert.ok(match, `no reference number in: ${texts(replies)}`);
  return match[0];
}

async function rawDump(): Promise<string> {
  const db = await testDb();
  const parts: string[] = [];
  for (const table of await listTables(db)) {
    const { rows } = await db.query(`SELECT * FROM "${table}"`);
    parts.push(JSON.stringify(rows));
  }
  return parts.join('\n');
}

describe('report dialog', () => {
  const suite = appForSuite({}, { now: () => NOW });

  /** The typical named report with buttons, from "ik wil melden" to the reference number. */
  async function namedReport(walk: Walk, contact: { press?: string; type?: string } = { press: 'contact:chat' }): Promise<string> {
    let replies = await walk.chat.send('ik wil melden');
    assert.match(texts(replies), /anoniem/i, 'framing mentions anonymity');
    assert.match(texts(replies), /stop/i, 'framing says you can stop');
    replies = await walk.send(CANARY);
    assert.deepEqual(buttons(replies), ['role:victim', 'role:witness']);
    await walk.press('role:victim');
    await walk.send('vorige week dinsdag');
    await walk.press('moment:during');
    await walk.send('Bakkerij De Korenaar');
    replies = await walk.press('consent:yes');
    assert.ok(buttons(replies).includes('grounds:origin'));
    await walk.press('grounds:origin');
    await walk.press('school:mbo');
    await walk.press('evidence:later');
    await walk.press('wishes:advice');
    replies = contact.press ? await walk.press(contact.press) : await walk.send(contact.type!);
    assert.match(texts(replies), /Dit is je melding/);
    assert.ok(buttons(replies).includes('report:submit'));
    replies = await walk.press('report:submit');
    return refIn(replies);
  }

  it('files a typical named report with buttons in at most 12 prompts, with a readable reference number', async () => {
    const walk = new Walk(new StudentChat(suite.app));
    await walk.chat.send('hoi');
    const ref = await namedReport(walk);
    assert.ok(walk.prompts <= 12, `took ${walk.prompts} prompts`);
    assert.match(texts(walk.last), /5 werkdagen/, 'says what happens next and when');
    const stored = await suite.app.reports.show(ref);
    assert.ok(stored);
    assert.equal(stored.status, 'received');
    assert.equal(stored.facts.role, 'victim');
    assert.equal(stored.facts.moment, 'during');
    assert.deepEqual(stored.facts.grounds, ['origin']);
    assert.equal(stored.facts.incidentDate, '2026-11-17');
    assert.equal(stored.content.description, CANARY);
    assert.equal(stored.content.organisation, 'Bakkerij De Korenaar');
    assert.equal(stored.facts.contactMethod, 'chat');
    assert.equal(stored.consent?.given, true);
    assert.equal(stored.consent?.lang, 'nl');
    assert.ok(stored.consent?.textVersion);
  });

  it('accepts an e-mail address typed at the contact question without an extra prompt', async () => {
    const walk = new Walk(new StudentChat(suite.app));
    await walk.chat.send('hoi');
    const ref = await namedReport(walk, { type: 'sara.b@example.nl' });
    assert.ok(walk.prompts <= 12);
    const stored = await suite.app.reports.show(ref);
    assert.equal(stored?.facts.contactMethod, 'email');
    assert.equal(stored?.content.contactValue, 'sara.b@example.nl');
  });

  it('files an anonymous witness report without consent: no grounds question, no grounds stored', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil een melding maken');
    await chat.send('Mijn klasgenoot werd uitgescholden door de chef van de keuken.');
    await chat.press('role:witness');
    await chat.send('gisteren');
    await chat.press('moment:during');
    await chat.press('organisation:skip');
    let replies = await chat.press('consent:no');
    assert.ok(!buttons(replies).some((b) => b.startsWith('grounds:')), 'no grounds question after refusal');
    assert.ok(buttons(replies).includes('school:skip'));
    await chat.press('school:skip');
    await chat.send('ik heb een screenshot van de groepsapp');
    await chat.send('1 en 5');
    replies = await chat.press('contact:anonymous');
    assert.match(texts(replies), /Sensitive|Gevoelige gegevens: niet bewaard/);
    replies = await chat.press('report:submit');
    const ref = refIn(replies);
    assert.match(texts(replies), /anoniem/);
    const stored = await suite.app.reports.show(ref);
    assert.equal(stored?.facts.role, 'witness');
    assert.equal(stored?.facts.anonymous, true);
    assert.deepEqual(stored?.facts.grounds, []);
    assert.equal(stored?.consent?.given, false);
    assert.deepEqual(stored?.facts.wishes, ['heard', 'register']);
    assert.equal(stored?.content.evidenceDescription, 'ik heb een screenshot van de groepsapp');
    assert.equal(stored?.content.contactValue, undefined);
  });

  it('keeps the answer and asks again, kindly, after an invalid date or e-mail address', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil melden');
    await chat.send(CANARY);
    await chat.press('role:victim');
    let replies = await chat.send('bij de bakker');
    assert.match(texts(replies), /datum snap ik niet/);
    assert.ok(buttons(replies).includes('when:unknown'), 'the same question again');
    replies = await chat.send('12 maart 2099');
    assert.match(texts(replies), /toekomst/);
    replies = await chat.send('3 weken geleden');
    assert.ok(buttons(replies).includes('moment:searching'), 'moves on once the date is valid');
    await chat.press('moment:searching');
    await chat.press('organisation:skip');
    await chat.press('consent:no');
    await chat.press('school:skip');
    await chat.press('evidence:none');
    await chat.press('wishes:heard');
    replies = await chat.send('sara@school');
    assert.match(texts(replies), /e-mailadres klopt niet/);
    replies = await chat.send('sara@school.nl');
    assert.match(texts(replies), /Dit is je melding/);
    assert.match(texts(replies), new RegExp(CANARY.slice(0, 20)), 'nothing typed earlier was lost');
    assert.match(texts(replies), /sara@school\.nl/);
  });

  it('lets the student change two answers from the summary before sending', async () => {
    const walk = new Walk(new StudentChat(suite.app));
    await walk.chat.send('hoi');
    await walk.chat.send('ik wil melden');
    await walk.send(CANARY);
    await walk.press('role:victim');
    await walk.send('gisteren');
    await walk.press('moment:interview');
    await walk.send('Garage Jansen');
    await walk.press('consent:no');
    await walk.press('school:hbo');
    await walk.press('evidence:none');
    await walk.press('wishes:advice');
    await walk.press('contact:chat');
    let replies = await walk.press('report:edit');
    assert.ok(buttons(replies).includes('edit:organisation'));
    await walk.press('edit:organisation');
    replies = await walk.send('Autobedrijf Jansen BV');
    assert.match(texts(replies), /Autobedrijf Jansen BV/, 'back at the summary with the new answer');
    await walk.press('report:edit');
    await walk.press('edit:consent');
    replies = await walk.press('consent:yes');
    assert.ok(buttons(replies).includes('grounds:religion'), 'consent given now asks the grounds question');
    replies = await walk.press('grounds:religion');
    assert.match(texts(replies), /Geloof/);
    replies = await walk.press('report:submit');
    const stored = await suite.app.reports.show(refIn(replies));
    assert.equal(stored?.content.organisation, 'Autobedrijf Jansen BV');
    assert.deepEqual(stored?.facts.grounds, ['religion']);
    assert.equal(stored?.facts.moment, 'interview');
  });

  it('sends crisis lines at once in the middle of the flow, then asks the same question again', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil melden');
    await chat.send(CANARY);
    const replies = await chat.send('ik wil niet meer leven');
    assert.match(texts(replies), /113/);
    assert.match(texts(replies), /0800-0113/);
    assert.ok(buttons(replies).includes('role:victim'), 'the role question comes again');
    const next = await chat.press('role:victim');
    assert.match(texts(next), /Wanneer gebeurde het/);
  });

  it('keeps an image sent at a text prompt as evidence and asks the question again', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil melden');
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    let replies = await chat.sendAttachment({ contentType: 'image/png', contentUrl: `data:image/png;base64,${png.toString('base64')}`, name: 'screenshot.png' });
    assert.match(texts(replies), /bestand bewaard/);
    assert.match(texts(replies), /Vertel in je eigen woorden/);
    replies = await chat.sendAttachment({ contentType: 'application/vnd.whatsapp.sticker', contentUrl: 'data:image/webp;base64,AAAA', name: 'sticker' });
    assert.match(texts(replies), /niet gebruiken/);
    assert.match(texts(replies), /Vertel in je eigen woorden/);
    await chat.send(CANARY);
    await chat.press('role:victim');
    await chat.send('gisteren');
    await chat.press('moment:during');
    await chat.press('organisation:skip');
    await chat.press('consent:no');
    await chat.press('school:skip');
    replies = await chat.send('ik heb ook nog de mail');
    assert.ok(buttons(replies).includes('wishes:heard'), 'a typed description answers the evidence question');
    await chat.press('wishes:heard');
    replies = await chat.press('contact:anonymous');
    assert.match(texts(replies), /1 bestand/);
    replies = await chat.press('report:submit');
    const stored = await suite.app.reports.show(refIn(replies));
    assert.equal(stored?.facts.fileCount, 1);
    const file = await suite.app.reports.readMedia(stored!.content.files[0]!.mediaId);
    assert.deepEqual(file?.data, png);
  });

  it('makes exactly one report when "send" is tapped twice', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil melden');
    await chat.send(CANARY);
    await chat.press('role:victim');
    await chat.press('when:unknown');
    await chat.press('moment:other');
    await chat.press('organisation:skip');
    await chat.press('consent:no');
    await chat.press('school:skip');
    await chat.press('evidence:none');
    await chat.press('wishes:register');
    await chat.press('contact:anonymous');
    const first = await chat.press('report:submit');
    const second = await chat.press('report:submit');
    refIn(first);
    assert.match(texts(second), /al verstuurd/);
    const db = await testDb();
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reports');
    assert.equal(rows[0]?.n, 1);
  });

  it('pauses with "stop" and resumes after a restart, at the same question with earlier answers intact', async () => {
    const first = new StudentChat(suite.app, 'student-resume', 'conv-resume');
    await first.send('hoi');
    await first.send('ik wil melden');
    await first.send(CANARY);
    await first.press('role:witness');
    let replies = await first.send('stop');
    assert.match(texts(replies), /bewaard/);

    // A new process: new suite.app instance, same database. Nothing is remembered in memory.
    const restarted = await testApp({}, { now: () => NOW });
    const again = new StudentChat(restarted, 'student-resume', 'conv-resume');
    replies = await again.send('hoi');
    assert.ok(buttons(replies).includes('cmd:resume'), 'the bot offers to continue');
    replies = await again.press('cmd:resume');
    assert.match(texts(replies), /verder waar je was/);
    assert.match(texts(replies), /Wanneer gebeurde het/, 'continues at the date question');
    await again.send('gisteren');
    await again.press('moment:during');
    await again.press('organisation:skip');
    await again.press('consent:no');
    await again.press('school:skip');
    await again.press('evidence:none');
    await again.press('wishes:heard');
    replies = await again.press('contact:chat');
    assert.match(texts(replies), new RegExp(CANARY.slice(0, 20)));
    assert.match(texts(replies), /Ik zag het/);
  });

  it('shows the status, adds information, withdraws and erases a report', async () => {
    const walk = new Walk(new StudentChat(suite.app));
    await walk.chat.send('hoi');
    const ref = await namedReport(walk);
    await suite.app.reports.setStatus(ref, 'in_progress', 'counsellor', 'gebeld');

    let replies = await walk.chat.send(`status ${ref.toLowerCase().replace(/-/g, ' ')}`);
    assert.match(texts(replies), /In behandeling/);
    replies = await walk.chat.press('myreports:add');
    assert.match(texts(replies), /toevoegen/);
    replies = await walk.chat.send('De stagebegeleider heette meneer Pietersen.');
    assert.match(texts(replies), /toegevoegd/);
    const withInfo = await suite.app.reports.show(ref);
    assert.ok(withInfo?.events.some((e) => e.type === 'information_added' && /Pietersen/.test(e.note ?? '')));

    await walk.chat.send(`status ${ref}`);
    await walk.chat.press('myreports:withdraw');
    replies = await walk.chat.press('confirm:yes');
    assert.match(texts(replies), /ingetrokken/);
    assert.equal((await suite.app.reports.show(ref))?.status, 'withdrawn');
    replies = await walk.chat.press('confirm:yes');
    assert.match(texts(replies), /verwijderd/);
    assert.equal(await suite.app.reports.show(ref), undefined);
    assert.ok(!(await rawDump()).includes('KANARIE'), 'no trace of the report text remains');
    const counters = await suite.app.reports.counters();
    assert.equal(counters.find((c) => c.event === 'erased')?.count, 1);
  });

  it('does not show a report to another student who knows the number', async () => {
    const walk = new Walk(new StudentChat(suite.app));
    await walk.chat.send('hoi');
    const ref = await namedReport(walk);
    const other = new StudentChat(suite.app);
    await other.send('hoi');
    const replies = await other.send(`status ${ref}`);
    assert.match(texts(replies), /kan geen melding/);
    assert.doesNotMatch(texts(replies), /Ontvangen/);
  });

  it('stores what students typed encrypted: the raw tables never show it', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil melden');
    await chat.send(CANARY);
    // The draft (and the conversation state) exist now: check before and after submitting.
    assert.ok(!(await rawDump()).includes('KANARIE'), 'draft readable in raw rows');
    await chat.press('role:victim');
    await chat.press('when:unknown');
    await chat.press('moment:other');
    await chat.send('KANARIE-bedrijf');
    await chat.press('consent:no');
    await chat.press('school:skip');
    await chat.press('evidence:none');
    await chat.press('wishes:heard');
    await chat.send('kanarie-mail@example.nl');
    const replies = await chat.press('report:submit');
    refIn(replies);
    const raw = (await rawDump()).toLowerCase();
    assert.ok(!raw.includes('kanarie'), 'report content readable in raw rows');
  });

  it('erases everything about the student on "verwijder mijn gegevens"', async () => {
    const walk = new Walk(new StudentChat(suite.app));
    await walk.chat.send('hoi');
    await namedReport(walk);
    await walk.chat.send('ik wil melden');
    await walk.chat.send('KANARIE tweede melding die nog niet af is');
    let replies = await walk.chat.send('verwijder mijn gegevens');
    assert.match(texts(replies), /Dit kan niet terug/);
    replies = await walk.chat.press('erase:yes');
    assert.match(texts(replies), /verwijderd/);
    const db = await testDb();
    assert.equal((await db.query('SELECT 1 FROM reports')).rowCount, 0);
    assert.equal((await db.query('SELECT 1 FROM report_drafts')).rowCount, 0);
    // What is left in bot_state is the fresh state of this very turn (registered again for a later
    // erasure); it holds nothing of before.
    const states = await db.query<{ key: string }>('SELECT key FROM bot_state');
    const registered = await db.query<{ state_key: string }>('SELECT state_key FROM subject_keys');
    for (const { key } of states.rows) assert.ok(registered.rows.some((r) => r.state_key === key), `${key} would escape a later erasure`);
    const items = await new PgStorage(db, suite.app.cipher).read(states.rows.map((r) => r.key));
    assert.ok(!JSON.stringify(items).includes('KANARIE'));
    replies = await walk.chat.send('hoi');
    assert.match(texts(replies), /Ik ben Stagemaatje/, 'a fresh start: welcomed as new');
  });

  it('works end to end in English', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hello, can we speak english please');
    let replies = await chat.send('I want to report discrimination');
    assert.match(texts(replies), /Tell me in your own words/);
    await chat.send('The manager said they do not take interns with a headscarf.');
    await chat.press('role:victim');
    replies = await chat.send('last Tuesday');
    assert.match(texts(replies), /At what point/);
    await chat.press('moment:interview');
    await chat.press('organisation:skip');
    replies = await chat.send('yes');
    assert.ok(buttons(replies).includes('grounds:religion'));
    await chat.send('religion');
    await chat.press('school:hbo');
    await chat.press('evidence:none');
    await chat.send('2');
    replies = await chat.send('+31 6 1234 5678');
    assert.match(texts(replies), /This is your report/);
    assert.match(texts(replies), /Religion/);
    replies = await chat.press('report:submit');
    assert.match(texts(replies), /Your number is/);
    const stored = await suite.app.reports.show(refIn(replies));
    assert.equal(stored?.lang, 'en');
    assert.deepEqual(stored?.facts.wishes, ['advice']);
    assert.equal(stored?.content.contactValue, '+31612345678');
  });
});
