/**
 * Crash safety (issue 6; design B6 tests 26 and 27): a real server process killed with SIGKILL
 * (`kill -9`: no shutdown code runs), then started again on the same data. On PGlite that is the
 * same data directory, whose lock file the dead process leaves behind; on PostgreSQL the same schema.
 *
 * The kill in the middle of a turn uses a test hook (src/testHooks.ts, switched on with
 * STAGEMAATJE_TEST_CRASH_POINT=after-turn-before-save under NODE_ENV=test): the turn's logic has run
 * (the draft holds the answer) but its state is not saved and its replies are not sent. The WhatsApp
 * lease is made short with STAGEMAATJE_TEST_WHATSAPP_LEASE_MS (both parsed in src/config.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { DataServices } from '../../src/dataServices';
import type { Draft } from '../../src/reports/model';
import { FakeConnector } from '../helpers/fakeConnector';
import { startServerProcess, stopAllServerProcesses, type ServerProcess } from '../helpers/serverProcess';
import { ProcessDatabase, serverEnv, texts, WebChatStudent, WhatsAppStudent } from '../helpers/reliability';
import { assertCompleteReport, refIn, reportSteps } from '../helpers/reportScript';
import { FakeGraphApi } from '../channels/whatsapp/fakeGraphApi';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CRASH_MID_TURN = { STAGEMAATJE_TEST_CRASH_POINT: 'after-turn-before-save' };
const KILLED = { code: null, signal: 'SIGKILL' };

describe(`kill -9 and restart (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite data directory'})`, function () {
  this.timeout(120_000);
  let database: ProcessDatabase;
  let connector: FakeConnector;
  let graph: FakeGraphApi;
  /** The slowest start on existing data so far: a lease that must outlast a restart is chosen from it. */
  let slowestRestartMs = 0;
  let starts = 0;

  before(async () => {
    connector = await new FakeConnector().start();
    graph = await new FakeGraphApi().start();
    database = await ProcessDatabase.create();
  });
  afterEach(stopAllServerProcesses);
  after(async () => {
    await stopAllServerProcesses();
    await database?.dispose();
    await connector?.stop();
    await graph?.stop();
  });

  async function start(name: string, env: Record<string, string>): Promise<ServerProcess> {
    const server = await startServerProcess(env, name);
    // The very first start may create the PGlite database, which takes longer than any restart.
    if (starts++ > 0) slowestRestartMs = Math.max(slowestRestartMs, server.startedInMs);
    return server;
  }

  /** The draft of the student's open report, read from the database. */
  function openDraft(subject: (data: DataServices) => string): Promise<Draft | undefined> {
    return database.withData(async (data) => {
      const latest = await data.reports.latestDraft(subject(data));
      return latest ? (await data.reports.loadDraft(latest.id))?.draft : undefined;
    });
  }

  it('between turns: after kill -9 and a restart on the same data, the report goes on at step 4 with steps 1–3 intact', async () => {
    const env = serverEnv(database, { connector });
    const description = 'KANARIE-kill-tussen-beurten: de stagebegeleider noemde mij steeds bij de verkeerde naam';
    const steps = reportSteps(description);
    const student = new WebChatStudent(connector);

    const first = await start('first', env);
    for (const step of steps.slice(0, 4)) {
      assert.match(texts(await student.send(first, step.input, { press: step.press })), step.next, `before the crash: ${step.answers}`);
    }
    assert.deepEqual(await first.kill(), KILLED);
    if (database.engine === 'pglite') {
      assert.equal(fs.readFileSync(database.lockFile, 'utf8').trim(), String(first.pid), 'the dead process left its lock file behind');
    }

    const second = await start('second', env);
    const [step4, ...rest] = steps.slice(4);
    const answer = await student.send(second, step4!.input, { press: step4!.press });
    assert.match(texts(answer), step4!.next, 'the step-4 answer is taken as the step-4 answer: the dialog goes on where it was');
    let ref = '';
    for (const step of rest) {
      const replies = await student.send(second, step.input, { press: step.press });
      assert.match(texts(replies), step.next, `after the restart: ${step.answers}`);
      ref = step === rest.at(-1) ? refIn(texts(replies)) : ref;
    }
    await second.stop();
    assertCompleteReport(await database.withData((data) => data.reports.show(ref)), description);
  });

  it('in the middle of a WhatsApp turn: after the restart, recovery runs the message again once its lease has run out; nothing typed is lost', async () => {
    const steps = reportSteps('KANARIE-kill-midden-in-beurt: ze wilden mij niet aannemen vanwege mijn afkomst');
    const student = new WhatsAppStudent(graph);
    const env = serverEnv(database, { graph }, { STAGEMAATJE_TEST_WHATSAPP_LEASE_MS: '1000' });

    const first = await start('first', { ...env, ...CRASH_MID_TURN, STAGEMAATJE_TEST_CRASH_ON_TEXT: steps[1]!.input });
    await student.deliver(first, student.message(steps[0]!.input));
    await student.waitForText(steps[0]!.next);
    const description = student.message(steps[1]!.input);
    await student.deliver(first, description);
    assert.deepEqual(await first.exited, KILLED, 'the process died in the middle of the turn, after Meta had its 200');
    assert.equal(student.count(steps[1]!.next), 0, 'no answer went out: replies wait until the state is saved');
    assert.equal((await openDraft((data) => data.whatsAppSubject(student.waId)))?.description, steps[1]!.input, 'what the student typed is in the draft already');

    const second = await start('second', env);
    await student.waitForText(steps[1]!.next);
    assert.ok(second.events('whatsapp_recovery').length > 0, 'start-up recovery took over the message of the dead process');
    assert.equal(student.count(steps[1]!.next), 1, 'the student gets the next question once');
    assert.equal(student.count(steps[0]!.next), 1, 'and no repeated prompt');

    // The dialog goes on; the next answer is only taken up once the recovered message is done.
    await student.deliver(second, student.message(steps[2]!.input, steps[2]!.press));
    await student.waitForText(steps[2]!.next);
    // Meta delivering the handled message once more is a duplicate now.
    await student.deliver(second, description);
    await second.waitForLog((l) => l.event === 'whatsapp_webhook' && l.duplicates === 1);
    assert.equal(student.count(steps[1]!.next), 1, 'the re-delivered message did not run again');
  });

  it('in the middle of a WhatsApp turn: when Meta re-delivers the message after the restart, it is processed, not dropped as a duplicate', async () => {
    const steps = reportSteps('KANARIE-kill-en-opnieuw-bezorgd: mijn collega maakte grappen over mijn hoofddoek');
    const student = new WhatsAppStudent(graph);
    // The dead process's lease must outlast the restart (start times vary a lot on a busy machine), so
    // that start-up recovery leaves the message alone; and end before the restarted process's 30 s
    // recovery timer, so that it is Meta's re-delivery that runs it.
    const leaseMs = slowestRestartMs > 0 ? Math.round(Math.min(27_000, Math.max(12_000, 2.5 * slowestRestartMs + 3_000))) : 20_000;
    const env = serverEnv(database, { graph }, { STAGEMAATJE_TEST_WHATSAPP_LEASE_MS: String(leaseMs) });

    const first = await start('first', { ...env, ...CRASH_MID_TURN, STAGEMAATJE_TEST_CRASH_ON_TEXT: steps[1]!.input });
    await student.deliver(first, student.message(steps[0]!.input));
    await student.waitForText(steps[0]!.next);
    const description = student.message(steps[1]!.input);
    // The dead process leased the message between these two moments: its lease ends leaseMs later.
    const leasedAfter = Date.now();
    await student.deliver(first, description);
    assert.deepEqual(await first.exited, KILLED);
    const leasedBefore = Date.now();

    const second = await start('second', env);
    assert.ok(Date.now() < leasedAfter + leaseMs - 1_000, `the restart (${second.startedInMs} ms) must end within the lease (${leaseMs} ms)`);
    // While the dead process's lease holds, a re-delivery is stored as pending (not a duplicate) and waits.
    await student.deliver(second, description);
    await second.waitForLog((l) => l.event === 'whatsapp_webhook' && l.messages === 1);
    assert.deepEqual(second.events('whatsapp_webhook').map((l) => l.duplicates), [0], 'the re-delivery is not taken for a duplicate');
    assert.equal(student.count(steps[1]!.next), 0, 'nobody runs it while the lease may still be held');

    // Once the lease has run out, Meta's next re-delivery runs the turn.
    await sleep(Math.max(0, leasedBefore + leaseMs + 250 - Date.now()));
    await student.deliver(second, description);
    await student.waitForText(steps[1]!.next);
    assert.deepEqual(second.events('whatsapp_webhook').map((l) => l.duplicates), [0, 0]);
    assert.equal(second.events('whatsapp_recovery').length, 0, 'it was the re-delivery that ran it, not the recovery timer');
    assert.equal(student.count(steps[1]!.next), 1, 'the student gets the next question once');
  });
});
