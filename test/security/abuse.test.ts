/**
 * Abuse and hostile input (design B5/B6 31-36): rate limits per student and per IP, body size limits,
 * Unicode normalisation of commands, what counsellors see of hostile text (bidi overrides, zero-width
 * and control characters, Markdown and link injection, JSON-breaking characters), hostile text in
 * logs, and very long messages.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import type { Activity } from 'botbuilder';
import type { App } from '../../src/app';
import { RateLimiter } from '../../src/bots/rateLimiter';
import { MAX_MESSAGE_CHARS } from '../../src/bots/studentBot';
import { translator } from '../../src/i18n/i18n';
import { Analyzer } from '../../src/handbook/analyzer';
import { MAX_KEYWORD_LENGTH } from '../../src/text/normalize';
import { appForSuite, testApp } from '../helpers/app';
import { resetDb, testDb } from '../helpers/db';
import { FakeConnector } from '../helpers/fakeConnector';
import { LogCapture } from '../helpers/logCapture';
import { StudentChat, buttons, texts } from '../helpers/studentChat';
import { CHANNEL_ID, HttpDriver, connectorForSuite, counsellors, startWithTeams } from '../helpers/teams';
import { FakeGraphApi, shownText } from '../channels/whatsapp/fakeGraphApi';
import { messagesPayload, payload, postWebhook, status, textMessage, whatsappEnv } from '../channels/whatsapp/harness';

const nl = translator('nl');
/** Characters that must never reach a counsellor or a log line: C0/C1 controls (not \t \n), bidi controls, invisible formatting. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string in a JSON value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** Every Adaptive Card element (anything with a `type`), with its path of types. */
function cardElements(value: unknown, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(value)) for (const v of value) cardElements(v, out);
  else if (value && typeof value === 'object') {
    if (typeof (value as { type?: unknown }).type === 'string') out.push(value as Record<string, unknown>);
    for (const v of Object.values(value)) cardElements(v, out);
  }
  return out;
}

/** POSTs with chunked transfer encoding (no Content-Length), the way a client can hide a body's size. */
function postChunked(url: string, chunks: Buffer[], headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<number> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    (async () => {
      for (const chunk of chunks) {
        if (answered || req.destroyed) break;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

describe('abuse: rate limits', function () {
  this.timeout(30_000);

  it('the per-student limiter: one warning per window, then silence; a new window starts clean', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(10, () => now);
    const verdicts = Array.from({ length: 50 }, () => limiter.take('student-a'));
    assert.deepEqual(verdicts.slice(0, 10), Array(10).fill('allow'));
    assert.equal(verdicts[10], 'warn');
    assert.deepEqual(verdicts.slice(11), Array(39).fill('drop'));
    assert.equal(limiter.take('student-b'), 'allow', 'another student is unaffected');
    now += 61_000;
    assert.equal(limiter.take('student-a'), 'allow', 'a minute later the student is heard again');
    for (let i = 0; i < 9; i++) limiter.take('student-a');
    assert.equal(limiter.take('student-a'), 'warn', 'and warned once more in the new window');
  });

  it('50 messages in a few seconds from one student: answers up to the limit, one polite "slow down", then silence; another student is unaffected', async () => {
    await resetDb(await testDb());
    const app = await testApp({ RATE_LIMIT_MESSAGES_PER_MINUTE: '10' });
    try {
      const flooder = new StudentChat(app);
      const bystander = new StudentChat(app);
      const flood: string[] = [];
      const calm: string[] = [];
      for (let i = 0; i < 50; i++) {
        flood.push(texts(await flooder.send(i % 2 ? 'hoi' : 'mag een bedrijf me weigeren omdat ik een hoofddoek draag?')));
        if (i % 10 === 5) calm.push(texts(await bystander.send('hoi')));
      }
      for (const reply of flood.slice(0, 10)) assert.ok(reply.length > 0 && !reply.includes(nl('rateLimit.slowDown')));
      assert.equal(flood[10], nl('rateLimit.slowDown'), 'exactly the polite warning');
      assert.deepEqual(flood.slice(11), Array(39).fill(''), 'then silence');
      assert.equal(calm.length, 5);
      for (const reply of calm) assert.ok(reply.length > 0 && !reply.includes(nl('rateLimit.slowDown')), 'the other student is answered normally');
    } finally {
      await app.stop();
    }
  });

  it('50 WhatsApp messages in a few seconds from one number: one "slow down", another number is unaffected', async () => {
    await resetDb(await testDb());
    const graph = await new FakeGraphApi().start();
    const app = await testApp({ ...whatsappEnv(graph), RATE_LIMIT_MESSAGES_PER_MINUTE: '10' });
    try {
      const { port } = await app.listen();
      const base = `http://127.0.0.1:${port}`;
      const started = Date.now();
      for (let i = 0; i < 50; i++) {
        assert.equal((await postWebhook(base, messagesPayload(textMessage(`bericht ${i}`, { from: '31611111111' })))).status, 200);
        if (i % 10 === 5) assert.equal((await postWebhook(base, messagesPayload(textMessage('hoi', { from: '31622222222' })))).status, 200);
      }
      // A precondition, not a speed claim: all 50 fall in one rate-limit window (a minute).
      assert.ok(Date.now() - started < 60_000, 'sent within one minute');
      await app.whatsapp!.settled();
      const toFlooder = graph.sends().filter((m) => m.to === '31611111111').map(shownText);
      const toOther = graph.sends().filter((m) => m.to === '31622222222').map(shownText);
      assert.equal(toFlooder.filter((t) => t.includes(nl('rateLimit.slowDown'))).length, 1, 'one polite warning');
      assert.ok(toFlooder.at(-1)!.includes(nl('rateLimit.slowDown')), 'nothing after the warning');
      assert.ok(toOther.length >= 5 && toOther.every((t) => !t.includes(nl('rateLimit.slowDown'))), 'the other number is answered normally');
    } finally {
      await app.stop();
      await graph.stop();
    }
  });

  it('per IP on /api/messages: 429 once the burst is spent; /api/whatsapp is exempt (Meta posts from few IPs)', async () => {
    const graph = await new FakeGraphApi().start();
    const connector = await new FakeConnector().start();
    // 6 a minute: a burst of 10, then one every 10 s.
    const app = await testApp({ ...whatsappEnv(graph), RATE_LIMIT_REQUESTS_PER_MINUTE: '6' });
    try {
      const { port } = await app.listen();
      const base = `http://127.0.0.1:${port}`;
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        const res = await fetch(`${base}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'typing', channelId: 'webchat', serviceUrl: connector.url, from: { id: 'ip-user' }, recipient: { id: 'bot' }, conversation: { id: 'ip-conv' } }),
        });
        statuses.push(res.status);
      }
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200), 'the burst passes');
      assert.ok(statuses.slice(10).filter((s) => s === 429).length >= 13, `then 429: ${statuses.join(',')}`);
      for (let i = 0; i < 30; i++) {
        const res = await postWebhook(base, payload([{ statuses: [status(`wamid.unknown${i}`, 'delivered')] }]));
        assert.equal(res.status, 200, `webhook ${i}`);
      }
    } finally {
      await app.stop();
      await graph.stop();
      await connector.stop();
    }
  });
});

describe('abuse: body size limits', function () {
  this.timeout(30_000);
  let app: App;
  let graph: FakeGraphApi;
  let base: string;
  const LIMIT = 64 * 1024;

  before(async () => {
    graph = await new FakeGraphApi().start();
    app = await testApp({ ...whatsappEnv(graph), MAX_REQUEST_BYTES: String(LIMIT) });
    base = `http://127.0.0.1:${(await app.listen()).port}`;
  });
  after(async () => {
    await app.stop();
    await graph.stop();
  });

  const oversized = () => Buffer.from(JSON.stringify({ type: 'message', channelId: 'webchat', conversation: { id: 'big' }, from: { id: 'big' }, text: 'x'.repeat(LIMIT) }));

  it('refuses a body over MAX_REQUEST_BYTES with 413 on /api/messages, declared or streamed, and keeps serving', async () => {
    const declared = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: oversized() });
    assert.equal(declared.status, 413);
    const body = oversized();
    const streamed = await postChunked(`${base}/api/messages`, [body.subarray(0, 1000), body.subarray(1000, 40_000), body.subarray(40_000)]);
    assert.equal(streamed, 413);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it('refuses a compressed body on /api/messages (a small gzip bomb would inflate past every limit)', async () => {
    const bomb = zlib.gzipSync(Buffer.from(JSON.stringify({ type: 'typing', channelId: 'webchat', conversation: { id: 'gz' }, from: { id: 'gz' }, text: 'x'.repeat(20 * LIMIT) })));
    assert.ok(bomb.length < LIMIT / 4, 'the compressed body is well under the limit');
    for (const encoding of ['gzip', 'deflate', 'br', 'GZIP']) {
      const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: bomb });
      assert.equal(res.status, 415, encoding);
    }
  });

  it('refuses a body over MAX_REQUEST_BYTES with 413 on /api/whatsapp, declared or streamed', async () => {
    const declared = await postWebhook(base, oversized());
    assert.equal(declared.status, 413);
    const body = oversized();
    const streamed = await postChunked(`${base}/api/whatsapp`, [body.subarray(0, 30_000), body.subarray(30_000)], { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' });
    assert.equal(streamed, 413);
    assert.equal((await postWebhook(base, payload([{ statuses: [status('wamid.x', 'read')] }]))).status, 200, 'still serving');
  });
});

describe('abuse: Unicode in commands and answers', function () {
  this.timeout(30_000);
  const suite = appForSuite();

  async function inReport(): Promise<StudentChat> {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil melden');
    return chat;
  }

  it('stores text NFC-normalised (the same bytes for the same visible text)', async () => {
    const chat = await inReport();
    await chat.send('De chef van Cafe\u0301 Zu\u0308id zei dat ik niet welkom was.');
    const db = await testDb();
    const { rows } = await db.query<{ data_enc: string }>('SELECT data_enc FROM report_drafts');
    const draft = suite.app.cipher.decryptJson<{ description: string }>(rows[0]!.data_enc);
    assert.equal(draft.description, 'De chef van Café Züid zei dat ik niet welkom was.');
    assert.equal(draft.description, draft.description.normalize('NFC'));
  });

  for (const stop of ['ＳＴＯＰ', 'Stop!', 'STOP', '  stop  ', 'İK STOP', 'ık stop', 'S\u200Btop']) {
    it(`recognises "${stop}" as stop in the middle of a report`, async () => {
      const chat = await inReport();
      const replies = await chat.send(stop);
      assert.match(texts(replies), new RegExp(nl('report.paused').slice(0, 25)));
      assert.ok(buttons(replies).includes('cmd:resume'));
    });
  }

  it('recognises the erase command in capitals typed on a Turkish keyboard and in full width', async () => {
    for (const command of ['VERWİJDER MİJN GEGEVENS', 'ｖｅｒｗｉｊｄｅｒ ｍｉｊｎ ｇｅｇｅｖｅｎｓ']) {
      const chat = new StudentChat(suite.app);
      await chat.send('hoi');
      const replies = await chat.send(command);
      assert.ok(buttons(replies).includes('erase:yes'), command);
    }
  });

  it('does not take a keyword inside a sentence for a command: the prompt goes on', async () => {
    const chat = await inReport();
    const replies = await chat.send('Ze zeiden dat ik moest stoppen en dat ik hulp nodig had, STOP zeiden ze.');
    assert.deepEqual(buttons(replies), ['role:victim', 'role:witness']);
  });
});

describe('abuse: a 10,000-character message', function () {
  this.timeout(30_000);
  const suite = appForSuite();

  async function storedDescription(): Promise<string> {
    const { rows } = await (await testDb()).query<{ data_enc: string }>('SELECT data_enc FROM report_drafts');
    return suite.app.cipher.decryptJson<{ description: string }>(rows[0]!.data_enc).description;
  }

  for (const [name, atTheCut] of [
    ['an emoji ZWJ sequence', '👩🏽‍🎓'],
    ['a flag (two surrogate pairs)', '🇳🇱'],
    ['a letter with a combining mark that has no precomposed form', 'q\u0307\u0323'],
  ] as const) {
    it(`is capped on a character boundary (${name} at the cut) and the student is told`, async () => {
      const chat = new StudentChat(suite.app);
      await chat.send('hoi');
      await chat.send('ik wil melden');
      const before = 'a'.repeat(MAX_MESSAGE_CHARS - 2);
      const long = before + atTheCut + 'b'.repeat(10_000 - before.length - atTheCut.length);
      assert.equal(long.length, 10_000);
      const replies = await chat.send(long);
      assert.match(texts(replies), new RegExp(nl('input.truncated').slice(0, 25)));
      assert.deepEqual(buttons(replies), ['role:victim', 'role:witness'], 'and the report goes on');
      const stored = await storedDescription();
      assert.ok(stored.length <= MAX_MESSAGE_CHARS);
      assert.equal(stored, before, 'cut before the character that does not fit whole');
      assert.doesNotMatch(stored, LONE_SURROGATE);
    });
  }

  // Typo correction and compound splitting take time that grows much faster than a word's length:
  // one 4,000-letter "word" once kept the process busy for half a minute.
  it('keeps a 10,000-letter "word" away from the handbook search, and answers it', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    const analyzer = new Analyzer('nl');
    for (const word of ['x'.repeat(10_000), Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('')]) {
      assert.deepEqual(analyzer.words(`mag dat ${word} stage`), ['stage'], 'only words of a sane length are searched for');
      const replies = await chat.send(word);
      assert.match(texts(replies), new RegExp(nl('input.truncated').slice(0, 25)));
    }
    assert.deepEqual(analyzer.words(`${'a'.repeat(MAX_KEYWORD_LENGTH)} stage`), ['a'.repeat(MAX_KEYWORD_LENGTH), 'stage']);
  });

  it('keeps whole characters when a short answer (organisation) is cut, and tells the student', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    await chat.send('ik wil melden');
    await chat.send('Mijn begeleider zei dat ik beter thuis kon blijven.');
    await chat.press('role:victim');
    await chat.send('gisteren');
    const normal = await chat.press('moment:during');
    assert.doesNotMatch(texts(normal), new RegExp(nl('report.answerShortened').slice(0, 25)), 'not said when nothing was cut');
    const replies = await chat.send('B'.repeat(299) + '😀 BV');
    assert.match(texts(replies), new RegExp(nl('report.answerShortened').slice(0, 25)));
    const { rows } = await (await testDb()).query<{ data_enc: string }>('SELECT data_enc FROM report_drafts');
    const organisation = suite.app.cipher.decryptJson<{ organisation: string }>(rows[0]!.data_enc).organisation;
    assert.equal(organisation, 'B'.repeat(299), 'cut before the emoji that does not fit whole');
    assert.doesNotMatch(organisation, LONE_SURROGATE);
  });
});

describe('abuse: what counsellors (and logs) see of hostile text', function () {
  this.timeout(30_000);
  const connector = connectorForSuite();
  let app: App;
  let driver: HttpDriver;
  let logs: LogCapture;

  // Bidi override, zero-width space, BEL, isolates, BOM, a stray joiner; Markdown and a link;
  // quotes, braces and a template expression; a line break.
  const HOSTILE = 'Mijn begeleider \u202Ezei iets\u202C raars\u200B\u0007 [Open](https://evil.example) **urgent** "quoted" {"$data": "x"} ${x} \u2066x\u2069 a\u200Db\uFEFF\nnieuwe regel';

  beforeEach(async () => {
    logs = new LogCapture();
    ({ app, driver } = await startWithTeams(connector, {}, {}, logs.logger));
  });
  afterEach(async () => app.stop());

  async function requestPerson(student: string, ...before: string[]): Promise<{ card: Record<string, unknown>; threadId: string; handoffId: string }> {
    await driver.student(student, 'hoi');
    for (const text of before) await driver.student(student, text);
    await driver.student(student, 'ik wil een mens spreken');
    const created = await connector.waitFor((c) => c.method === 'POST' && c.path === '/v3/conversations');
    const card = (created.body as { activity: { attachments: Array<{ content: Record<string, unknown> }> } }).activity.attachments[0]!.content;
    const handoff = (await app.handoffs.queue())[0]!;
    return { card, threadId: handoff.threadId!, handoffId: handoff.id };
  }

  it('shows student text in the card only as plain TextRuns, literally, with no hidden characters, in valid JSON', async () => {
    const { card } = await requestPerson('h1', HOSTILE, `${'a'.repeat(279)}😀 en meer`);
    const elements = cardElements(card);
    const runs = elements.filter((e) => e.type === 'TextRun').map((e) => String(e.text));
    const rendered = [...elements.filter((e) => e.type === 'TextBlock').map((e) => String(e.text)), ...elements.filter((e) => e.type === 'FactSet').flatMap((e) => strings(e.facts))];
    const summary = runs.join('\n');
    assert.match(summary, /\*\*urgent\*\*/, 'Markdown shows literally');
    assert.match(summary, /"quoted" \{"\$data": "x"\} \$\{x\}/, 'quotes and braces survive as text');
    assert.match(summary, /\[Open\]\(/);
    assert.doesNotMatch(summary, /evil\.example/, 'the link itself is redacted from the summary');
    for (const text of rendered) {
      assert.doesNotMatch(text, /urgent|quoted|Open\]/, `student text in a Markdown element: ${text}`);
    }
    for (const text of strings(card)) {
      assert.doesNotMatch(text, UNSAFE, JSON.stringify(text));
      assert.doesNotMatch(text, LONE_SURROGATE, 'a cut never splits a character');
      assert.ok(!/a\u200Db/.test(text), 'a joiner outside an emoji is removed');
    }
  });

  it('relays student messages to the thread as plain text without hidden characters, and file types without Markdown', async () => {
    const { threadId, handoffId } = await requestPerson('h2');
    await driver.press(counsellors.sara, threadId, 'claim', handoffId);
    connector.reset();
    await driver.student('h2', HOSTILE);
    await driver.studentAttachment('h2', { contentType: 'application/x-[Open](https://evil.example)**\u202Eurgent**', contentUrl: 'data:,x', name: 'x.bin' });
    const posted = connector.activities(threadId) as Array<Partial<Activity>>;
    const relayed = posted.find((a) => a.text?.includes('**urgent**'));
    assert.ok(relayed, JSON.stringify(posted));
    assert.equal(relayed.textFormat, 'plain', 'Teams shows it literally');
    assert.match(relayed.text!, /\[Open\]\(https:\/\/evil\.example\) \*\*urgent\*\* "quoted"/);
    const file = posted.find((a) => a !== relayed && /bestand/.test(a.text ?? ''));
    assert.ok(file, JSON.stringify(posted));
    assert.ok(file.textFormat === 'plain' || !/\]\(https?:/.test(file.text ?? ''), `a file type cannot inject a link: ${file.text}`);
    for (const activity of posted) for (const text of strings(activity)) assert.doesNotMatch(text, UNSAFE, JSON.stringify(text));
  });

  it('strips hidden characters from what a counsellor sends to the student', async () => {
    const { threadId, handoffId } = await requestPerson('h3');
    await driver.press(counsellors.sara, threadId, 'claim', handoffId);
    connector.reset();
    await driver.counsellor(counsellors.sara, threadId, 'Hoi \u202Eik\u202C ben\u200B Sara\u0007');
    const toStudent = connector.activities('conv-h3').map((a) => a.text ?? '');
    assert.ok(toStudent.some((t) => t.includes('Hoi ik ben Sara')), toStudent.join('\n'));
    for (const text of toStudent) assert.doesNotMatch(text, UNSAFE);
  });

  it('answers a card action with a malformed handoff id as "not found", not as a failed turn', async () => {
    for (const handoffId of ['not-a-uuid', "1' OR '1'='1", '00000000-0000-0000-0000-00000000000g']) {
      const replies = await driver.counsellor(counsellors.sara, `${CHANNEL_ID};messageid=1`, '', { value: { action: 'claim', handoffId } });
      assert.equal(replies.map((a) => a.text).join('\n'), nl('counsellor.failed.notFound'), handoffId);
    }
    assert.ok(!logs.events().includes('turn_failed'));
  });

  it('keeps hidden characters out of log lines, also in fields taken from an activity', async () => {
    await requestPerson('h4', HOSTILE);
    // A Teams activity from outside the counsellors' channel is refused and logged with its channel and tenant.
    const other = '19:\u202Eevil\u200B\u0007@thread.tacv2';
    await driver.counsellor(counsellors.tom, `${other};messageid=1`, '', { value: { action: 'claim', handoffId: 'x' }, channelId: other, tenantId: 'tenant\u202E\u0000' });
    assert.ok(logs.events().includes('counsellor_action_refused'), logs.events().join(','));
    assert.deepEqual(logs.containing(UNSAFE), []);
    assert.deepEqual(logs.containing('urgent'), [], 'and no message text at all');
  });
});
