/**
 * Several instances (issue 6; design B6 test 25): two real server processes, A and B, on one
 * PostgreSQL database, the way the bot runs scaled out. A student's messages alternate between
 * them; nothing may be lost, doubled or reordered, and a handoff works whichever process gets what.
 *
 * Both processes get the same database schema (fresh per run, dropped afterwards), the same
 * encryption key, Teams pointing at a FakeConnector and WhatsApp pointing at a fake Graph API, both
 * in this test process.
 */
import assert from 'node:assert/strict';
import { PgStorage } from '../../src/storage/pgStorage';
import { testDbUrl } from '../helpers/db';
import { FakeConnector } from '../helpers/fakeConnector';
import { counsellors, HttpDriver } from '../helpers/teams';
import { startServerProcess, stopAllServerProcesses, type ServerProcess } from '../helpers/serverProcess';
import { eventually, metric, ProcessDatabase, serverEnv, texts, WebChatStudent, WhatsAppStudent } from '../helpers/reliability';
import { assertCompleteReport, localeText, nl, refIn, reportSteps, type ReportStep } from '../helpers/reportScript';
import { FakeGraphApi, shownText } from '../channels/whatsapp/fakeGraphApi';

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

/** The bot answered one message with one set of replies: the next question once, nothing twice. */
function assertOneReplySet(said: string[], step: ReportStep, where: string): void {
  const all = said.join('\n');
  assert.match(all, step.next, `${where}: the answer to "${step.answers}" asks the next question`);
  assert.equal(count(all, step.next), 1, `${where}: the next question is asked once, not twice:\n${all}`);
  assert.equal(new Set(said).size, said.length, `${where}: no reply is sent twice:\n${all}`);
}

describe('two server processes on one PostgreSQL database', function () {
  this.timeout(60_000);
  let database: ProcessDatabase | undefined;
  let connector: FakeConnector | undefined;
  let graph: FakeGraphApi | undefined;
  let a: ServerProcess;
  let b: ServerProcess;
  const both = () => [a, b];

  before(async function () {
    // Skipped on PGlite, on purpose: PGlite is one process's embedded database (a lock file keeps a
    // second process out), so several instances need the PostgreSQL server. CI's PostgreSQL pass
    // (DATABASE_URL set) runs these tests.
    if (!testDbUrl()) this.skip();
    this.timeout(90_000);
    connector = await new FakeConnector().start();
    graph = await new FakeGraphApi().start();
    database = await ProcessDatabase.create();
    const env = serverEnv(database, { connector, graph });
    [a, b] = await Promise.all([startServerProcess(env, 'A'), startServerProcess(env, 'B')]);
  });

  after(async () => {
    await stopAllServerProcesses();
    await database?.dispose();
    await connector?.stop();
    await graph?.stop();
  });

  it('files a whole report over Web Chat with messages alternating between A and B: no field lost, one reply set per message', async () => {
    const student = new WebChatStudent(connector!);
    const description = 'KANARIE-web: de manager zei dat ik met mijn hoofddoek niet achter de kassa mag';
    const steps = reportSteps(description);
    let replies = 0;
    let ref = '';
    for (const [i, step] of steps.entries()) {
      const server = both()[i % 2]!;
      const answer = await student.send(server, step.input, { press: step.press });
      assertOneReplySet(answer.map((r) => r.text ?? ''), step, `step ${i + 1} on ${server.name}`);
      replies += answer.length;
      if (i === steps.length - 1) ref = refIn(texts(answer));
    }
    assert.equal(student.everything().length, replies, 'no replies other than the answers to the messages (none late, none doubled)');
    assertCompleteReport(await database!.withData((data) => data.reports.show(ref)), description);
  });

  it('runs one turn per WhatsApp message, in order, with webhooks alternating between A and B and duplicates delivered to both at once', async () => {
    const student = new WhatsAppStudent(graph!);
    const description = 'KANARIE-whatsapp: ik werd bij het sollicitatiegesprek uitgelachen om mijn accent';
    const steps = reportSteps(description);
    const messages = steps.map((step) => student.message(step.input, step.press));
    const turnsBefore = await turnsOnWhatsApp();
    const userId = await database!.withData(async (data) => data.whatsAppUserId(student.waId));
    const handled = (count: number) =>
      eventually(async () => {
        const { rows } = await database!.withData((data) =>
          data.db.query<{ attempts: number; done_at: Date | null }>('SELECT attempts, done_at FROM wa_inbox WHERE user_id = $1 ORDER BY seq', [userId]),
        );
        return rows.length === count && rows.every((r) => r.done_at) && rows;
      }, () => `${count} messages handled; the student got: ${student.sentText()}`, 30_000);

    // First half, one message at a time: each turn runs on the process that got the webhook, on the
    // state the other process saved a moment before.
    const paced = 6;
    for (const [i, message] of messages.slice(0, paced).entries()) {
      const server = both()[i % 2]!;
      const turnsThere = await turnsOn(server);
      await student.deliver(server, message);
      await handled(i + 1);
      assert.equal((await turnsOn(server)) - turnsThere, 1, `"${steps[i]!.answers}" ran on ${server.name}`);
    }
    // Second half as fast as Meta sends, without waiting for the bot; every other message is
    // delivered twice, to A and to B at the same moment.
    for (const [i, message] of messages.slice(paced).entries()) {
      if (i % 2 === 0) await Promise.all([student.deliver(a, message), student.deliver(b, message)]);
      else await student.deliver(both()[i % 2]!, message);
    }
    const rows = await handled(messages.length);

    assert.deepEqual(rows.map((r) => r.attempts), messages.map(() => 1), 'each message was taken on exactly once');
    assert.equal((await turnsOnWhatsApp()) - turnsBefore, messages.length, 'one turn per message, over both processes');
    const sent = student.sent().map(shownText);
    let position = 0;
    for (const [i, step] of steps.entries()) {
      const at = sent.findIndex((text, k) => k >= position && step.next.test(text));
      assert.ok(at >= 0, `step ${i + 1} (${step.answers}) was answered, in order; the student got:\n${sent.join('\n---\n')}`);
      assert.equal(sent.filter((text) => step.next.test(text)).length, 1, `the question after "${step.answers}" was asked once`);
      position = at + 1;
    }
    const ref = refIn(sent.join('\n'));
    assertCompleteReport(await database!.withData((data) => data.reports.show(ref)), description);

    // A late re-delivery of a message that was handled long ago is a duplicate, on either process.
    const before = student.sent().length;
    await Promise.all([student.deliver(a, messages[1]!), student.deliver(b, messages[1]!)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(student.sent().length, before, 'no second turn for a message that was handled');
    assert.equal((await turnsOnWhatsApp()) - turnsBefore, messages.length);
  });

  it('hands a student to exactly one of two counsellors who claim at the same moment on A and B; relay goes through whichever process gets the next message', async () => {
    const student = new WebChatStudent(connector!);
    const onA = new HttpDriver(a.base, connector!);
    const onB = new HttpDriver(b.base, connector!);

    const asked = await student.send(a, 'ik wil een mens spreken');
    assert.match(texts(asked), localeText('handoff.queued'));
    const subject = await database!.withData(async (data) => data.subjectId('webchat', student.id));
    const handoffRow = () =>
      database!.withData(async (data) => {
        const { rows } = await data.db.query<{ id: string; thread_id: string; state: string; claimed_by_id: string | null; label: string }>(
          'SELECT id, thread_id, state, claimed_by_id, label FROM handoffs WHERE subject = $1',
          [subject],
        );
        return rows[0];
      });
    const { id: handoffId, thread_id: threadId, label } = (await handoffRow())!;
    assert.ok(threadId, 'the request was posted to the counsellors as a new thread');

    await Promise.all([onA.press(counsellors.sara, threadId, 'claim', handoffId), onB.press(counsellors.tom, threadId, 'claim', handoffId)]);
    const thread = texts(connector!.activities(threadId));
    assert.equal(count(thread, localeText('counsellor.done.claim')), 1, `one counsellor has it:\n${thread}`);
    assert.equal(count(thread, localeText('counsellor.failed.alreadyClaimed')), 1, `the other is told it is taken:\n${thread}`);
    const claimed = (await handoffRow())!;
    assert.equal(claimed.state, 'claimed');
    // A counsellor is known by their Entra ID object id.
    const winner = [counsellors.sara, counsellors.tom].find((c) => c.aadObjectId === claimed.claimed_by_id);
    assert.ok(winner, `claimed by one of the two: ${claimed.claimed_by_id}`);
    assert.equal(count(texts(student.everything()), localeText('handoff.claimed')), 1, 'the student hears once who is there for them');

    const relayed = async (work: () => Promise<unknown>, conversationId: string) => {
      const from = connector!.calls.length;
      await work();
      return connector!.calls.slice(from).filter((c) => c.method === 'POST' && c.conversationId === conversationId).map((c) => String(c.body.text ?? ''));
    };
    // Student on B → the thread; the counsellor on A → the student; and the other way round.
    const fromStudent = (text: string) => nl('counsellor.fromStudent', { label, text });
    const fromCounsellor = (text: string) => nl('handoff.fromCounsellor', { name: winner.name.split(' ')[0], text });
    let posted = await relayed(() => student.send(b, 'Het gebeurde vorige week bij de kassa'), threadId);
    assert.deepEqual(posted, [fromStudent('Het gebeurde vorige week bij de kassa')]);
    posted = await relayed(() => onA.counsellor(winner, threadId, 'Dank je. Wat gebeurde er precies?'), student.conversationId);
    assert.deepEqual(posted, [fromCounsellor('Dank je. Wat gebeurde er precies?')]);
    posted = await relayed(() => student.send(a, 'De chef lachte om mijn naam'), threadId);
    assert.deepEqual(posted, [fromStudent('De chef lachte om mijn naam')]);
    posted = await relayed(() => onB.counsellor(winner, threadId, 'Dat is niet in orde. Ik help je.'), student.conversationId);
    assert.deepEqual(posted, [fromCounsellor('Dat is niet in orde. Ik help je.')]);
  });

  it('keeps both changes when two messages of one conversation reach A and B at the same moment (eTag conflict → replay): mushrooms and cheese', async () => {
    const student = new WebChatStudent(connector!);
    await student.send(a, 'hoi');
    const replays = () => both().flatMap((p) => p.events('turn_replayed')).filter((l) => String(l.activityId).startsWith(student.id)).length;
    // Two turns at the same moment nearly always overlap; keep trying a few rounds until one did.
    for (let round = 1; round <= 2 || (replays() === 0 && round <= 6); round++) {
      const mushrooms = `champignons ${round}`;
      const cheese = `kaas ${round}`;
      const [onA, onB] = await Promise.all([student.send(a, mushrooms), student.send(b, cheese)]);
      assert.ok(onA.length > 0 && onB.length > 0, 'both messages were answered');
      assert.equal(new Set(texts(onA).split('\n')).size, texts(onA).split('\n').length, 'no doubled replies');
      const state = await database!.withData((data) => new PgStorage(data.db, data.cipher).read([student.stateKey]));
      const recent = (state[student.stateKey]?.recent ?? []) as string[];
      assert.ok(recent.includes(mushrooms) && recent.includes(cheese), `round ${round}: both messages are in the state: ${JSON.stringify(recent)}`);
    }
    await eventually(() => replays() > 0, 'a log line of a replayed turn', 2_000);
  });

  /** WhatsApp turns a process has run (its Prometheus counter). */
  function turnsOn(server: ServerProcess): Promise<number> {
    return metric(server, 'stagemaatje_turns_total', { channel: 'whatsapp', outcome: 'ok' });
  }

  async function turnsOnWhatsApp(): Promise<number> {
    const counts = await Promise.all(both().map(turnsOn));
    return counts.reduce((x, y) => x + y, 0);
  }
});
