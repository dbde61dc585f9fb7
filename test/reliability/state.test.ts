/**
 * Conversation state when saving goes wrong (issue 6; design B6 tests 28–30), in one process: the
 * real app listening on a port, Web Chat messages over HTTP (so the CloudAdapter's onTurnError runs
 * as in production), Teams at a FakeConnector, and sinon making a storage write fail or conflict.
 * (B6 23/24, the interleaving at the storage level, are in test/storage/pgStorage.test.ts; the
 * double tap on "send" is in test/dialogs/report.test.ts.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import type { StoreItems } from 'botbuilder';
import type { App } from '../../src/app';
import type { StudentBotDeps } from '../../src/bots/studentBot';
import { OptimisticConversationState } from '../../src/storage/optimisticState';
import { ETagConflictError, PgStorage } from '../../src/storage/pgStorage';
import { testApp } from '../helpers/app';
import { resetDb, testDb } from '../helpers/db';
import { FakeConnector } from '../helpers/fakeConnector';
import { teamsEnv } from '../helpers/teams';
import { texts, WebChatStudent, type Endpoint } from '../helpers/reliability';
import { localeText, nl, refIn, reportSteps, REF } from '../helpers/reportScript';
import { captureLogger } from '../channels/whatsapp/harness';

const DESCRIPTION = 'KANARIE-opslag: de chef zei dat mensen zoals ik hier niet passen';
const STEPS = reportSteps(DESCRIPTION);
const step = (answers: string) => STEPS.find((s) => s.answers === answers)!;
const TURN_FAILED = nl('errors.turnFailed');

describe('conversation state when saving fails or conflicts', function () {
  this.timeout(30_000);
  let connector: FakeConnector;
  let app: App;
  let endpoint: Endpoint;
  let logs: string[];

  before(async () => {
    connector = await new FakeConnector().start();
    const captured = captureLogger();
    logs = captured.lines;
    app = await testApp(teamsEnv(connector), {}, captured.logger);
    const { port } = await app.listen();
    endpoint = { name: 'app', base: `http://127.0.0.1:${port}` };
  });
  beforeEach(async () => {
    await resetDb(await testDb());
    connector.reset();
    logs.splice(0);
  });
  afterEach(() => sinon.restore());
  after(async () => {
    await app.stop();
    await connector.stop();
  });

  /** Plays the report up to (not including) the step that answers `field`. */
  async function reportUpTo(student: WebChatStudent, field: string): Promise<void> {
    for (const s of STEPS.slice(0, STEPS.indexOf(step(field)))) {
      assert.match(texts(await student.send(endpoint, s.input, { press: s.press })), s.next, s.answers);
    }
  }

  /** The stored row of a conversation's state, as it is in the table (sealed data and eTag). */
  async function storedState(student: WebChatStudent): Promise<{ data: unknown; etag: string } | undefined> {
    const { rows } = await app.db.query<{ data: unknown; etag: string }>('SELECT data, etag FROM bot_state WHERE key = $1', [student.stateKey]);
    return rows[0];
  }

  /** The next storage write fails as a lost database connection would; later writes go through. */
  function failNextWrite(): sinon.SinonStub {
    const write = sinon.stub(PgStorage.prototype, 'write');
    write.callThrough();
    write.onFirstCall().rejects(new Error('Connection terminated unexpectedly'));
    return write;
  }

  const replayed = () => logs.filter((l) => l.includes('"event":"turn_replayed"')).length;
  /** New threads in the counsellors' channel about a report (its card shows the reference). */
  const announcements = (ref: string) => connector.calls.filter((c) => c.path === '/v3/conversations' && JSON.stringify(c.body).includes(ref)).length;

  it('state save fails at "send": the student is told kindly, never that the report was filed; state is kept; sending again files exactly one report', async () => {
    const student = new WebChatStudent(connector);
    await reportUpTo(student, 'summary');
    const before = await storedState(student);

    const write = failNextWrite();
    const failed = await student.press(endpoint, 'report:submit');
    assert.equal(write.callCount, 1, 'the save was tried (and failed)');
    assert.deepEqual(failed.map((r) => r.text), [TURN_FAILED], 'one kind message: something went wrong, nothing is lost, try again');
    assert.doesNotMatch(texts(failed), localeText('report.submitted'), 'never "your report has been sent" for a turn that was not saved');
    assert.doesNotMatch(texts(failed), REF, 'and no reference number');
    assert.deepEqual(await storedState(student), before, 'onTurnError left the state alone: not deleted, not changed');
    sinon.restore();

    const sent = await student.press(endpoint, 'report:submit');
    assert.match(texts(sent), localeText('report.submitted'), 'the dialog was still at the summary: sending again works');
    const ref = refIn(texts(sent));
    const { rows } = await app.db.query<{ ref: string }>('SELECT ref FROM reports');
    assert.deepEqual(rows, [{ ref }], 'exactly one report, the one the student was told about');
    assert.equal(announcements(ref), 1, 'and counsellors heard of it once');
  });

  it('state save fails in the middle of a report: the next message continues the dialog, nothing typed is lost', async () => {
    const student = new WebChatStudent(connector);
    await reportUpTo(student, 'role');
    const before = await storedState(student);

    failNextWrite();
    const failed = await student.press(endpoint, 'role:victim');
    assert.deepEqual(failed.map((r) => r.text), [TURN_FAILED]);
    assert.deepEqual(await storedState(student), before, 'the state is as it was before the failed turn');
    sinon.restore();

    // The student does what the message says: tries again, and the dialog goes on from where it was.
    assert.match(texts(await student.press(endpoint, 'role:victim')), step('role').next);
    for (const s of STEPS.slice(STEPS.indexOf(step('when')), STEPS.indexOf(step('summary')))) {
      assert.match(texts(await student.send(endpoint, s.input, { press: s.press })), s.next, s.answers);
    }
    const summary = texts(student.everything().slice(-1));
    assert.match(summary, localeText('report.summaryIntro'));
    assert.ok(summary.includes(DESCRIPTION.slice(0, 40)), `the description typed before the failure is in the summary:\n${summary}`);
  });

  it('onTurnError never deletes state: a turn that throws in the dialog leaves the stored state untouched', async () => {
    const student = new WebChatStudent(connector);
    await reportUpTo(student, 'organisation');
    const before = await storedState(student);
    const rowsBefore = (await app.db.query('SELECT key FROM bot_state ORDER BY key')).rows;

    sinon.stub(app.reports, 'saveDraft').rejects(new Error('disk full'));
    const failed = await student.send(endpoint, 'Bakkerij De Korenaar');
    assert.deepEqual(failed.map((r) => r.text), [TURN_FAILED]);
    assert.deepEqual(await storedState(student), before);
    assert.deepEqual((await app.db.query('SELECT key FROM bot_state ORDER BY key')).rows, rowsBefore, 'no state row deleted');
    sinon.restore();

    assert.match(texts(await student.send(endpoint, 'Bakkerij De Korenaar')), step('organisation').next, 'the same question, answered again, moves on');
  });

  it('an eTag conflict during a turn is replayed transparently: the student sees one set of replies and the dialog moves one step', async () => {
    const student = new WebChatStudent(connector);
    await reportUpTo(student, 'description');

    const write = sinon.stub(PgStorage.prototype, 'write');
    write.callThrough();
    write.onFirstCall().rejects(new ETagConflictError(student.stateKey));
    const replies = await student.send(endpoint, DESCRIPTION);
    assert.equal(replayed(), 1, 'the turn was replayed once');
    assert.equal(replies.length, 1, `one reply, not one per attempt: ${texts(replies)}`);
    assert.match(texts(replies), step('description').next);
    sinon.restore();

    assert.match(texts(await student.press(endpoint, 'role:victim')), step('role').next, 'the answer counted once: the dialog is one step further, not two');
  });

  it('another instance saving the same conversation mid-turn: the turn is replayed on its state and both changes are kept (mushrooms and cheese)', async () => {
    const student = new WebChatStudent(connector);
    await student.send(endpoint, 'hoi');
    const original = PgStorage.prototype.write;
    let interfered = false;
    // Just before this turn saves, "another instance" handles the student's other message and saves first.
    sinon.stub(PgStorage.prototype, 'write').callsFake(async function (this: PgStorage, changes: StoreItems) {
      if (!interfered && changes[student.stateKey]) {
        interfered = true;
        const other = new PgStorage(app.db, app.cipher);
        const { [student.stateKey]: theirs } = await other.read([student.stateKey]);
        await original.call(other, { [student.stateKey]: { ...theirs, recent: [...((theirs?.recent as string[]) ?? []), 'kaas'] } });
      }
      return original.call(this, changes);
    });

    const replies = await student.send(endpoint, 'champignons');
    assert.equal(replayed(), 1, 'the save conflicted and the turn was replayed');
    assert.equal(new Set(replies.map((r) => r.text)).size, replies.length, 'no reply sent twice');
    sinon.restore();
    const { [student.stateKey]: state } = await new PgStorage(app.db, app.cipher).read([student.stateKey]);
    assert.deepEqual((state?.recent as string[]).slice(-2), ['kaas', 'champignons'], 'mushrooms and cheese');
  });

  it('the app keeps state in PostgreSQL with optimistic concurrency, never in MemoryStorage', async () => {
    const deps = (app.studentBot as unknown as { deps: StudentBotDeps }).deps;
    assert.ok(deps.storage instanceof PgStorage, 'createApp wires PgStorage');
    assert.ok(deps.conversationState instanceof OptimisticConversationState, 'with eTag-checked conversation state');

    const student = new WebChatStudent(connector);
    await student.send(endpoint, 'ik wil melden');
    await student.send(endpoint, DESCRIPTION);
    const stored = await storedState(student);
    assert.ok(stored, 'the conversation state is a row in bot_state');
    assert.ok(!JSON.stringify(stored.data).includes('KANARIE'), 'sealed, not readable in the table');

    const sources = ['src', 'dialogs'].flatMap((dir) => listSources(path.resolve(__dirname, '../..', dir)));
    const offenders = sources.filter((file) => /\bMemoryStorage\b/.test(fs.readFileSync(file, 'utf8')));
    assert.deepEqual(offenders, [], 'no production code can fall back to MemoryStorage');
  });
});

function listSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listSources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}
