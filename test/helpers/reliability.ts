/**
 * What the reliability tests (test/reliability/) share: a database for server processes, the
 * environment that points a process at it and at the fakes in the test process, and students who
 * talk to whichever process a test chooses, over Web Chat and over WhatsApp.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Activity } from 'botbuilder';
import { loadConfig } from '../../src/config';
import { openDataServices, type DataServices } from '../../src/dataServices';
import { silentLogger } from '../../src/logger';
import { openDb, type Db } from '../../src/storage/db';
import { TEST_KEY } from './app';
import { testDbUrl } from './db';
import type { FakeConnector } from './fakeConnector';
import { teamsEnv } from './teams';
import { shownText, type FakeGraphApi, type SentMessage } from '../channels/whatsapp/fakeGraphApi';
import { messagesPayload, postWebhook, replyMessage, textMessage, whatsappEnv, type RawMessage } from '../channels/whatsapp/harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns something truthy. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string | (() => string), timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(50);
  }
}

// ---- the database the server processes share ----------------------------------------------------

/**
 * The database of a test's server processes: a fresh schema on the PostgreSQL server when
 * DATABASE_URL is set (dropped by `dispose`), otherwise a PGlite data directory of its own.
 */
export class ProcessDatabase {
  /** PostgreSQL: the test's own data layer, opened on first use and kept for the whole run. */
  private shared?: Promise<DataServices>;

  private constructor(
    readonly engine: 'postgres' | 'pglite',
    readonly dataDir: string,
    private readonly server?: { url: string; schema: string; db: Db },
  ) {}

  static async create(): Promise<ProcessDatabase> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagemaatje-reliability-'));
    const url = testDbUrl();
    if (!url) return new ProcessDatabase('pglite', dataDir);
    const schema = `reliability_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
    // Created here, before any process starts: two instances creating a new schema at the same moment
    // can collide in PostgreSQL's catalog (see the report of issue 6). The tables are left to the
    // processes, which migrate concurrently (under the migration lock), as instances do in production.
    const db = await openDb({ url, schema });
    return new ProcessDatabase('postgres', dataDir, { url, schema, db });
  }

  /** Environment for a server process on this database. */
  get env(): Record<string, string> {
    return { DATA_DIR: this.dataDir, ...(this.server ? { DATABASE_URL: this.server.url, DATABASE_SCHEMA: this.server.schema } : {}) };
  }

  private config() {
    return loadConfig({ NODE_ENV: 'test', REPORT_ENCRYPTION_KEY: TEST_KEY, ...this.env });
  }

  /**
   * Runs `work` on the data layer (reports, drafts, state, raw SQL) from the test process. PGlite
   * is one process's database, so there it opens the data directory for the moment: only while no
   * server process runs.
   */
  async withData<T>(work: (data: DataServices) => Promise<T>): Promise<T> {
    if (this.server) {
      const { db } = this.server;
      this.shared ??= openDataServices(this.config(), silentLogger, { db });
      return work(await this.shared);
    }
    const data = await openDataServices(this.config(), silentLogger);
    try {
      return await work(data);
    } finally {
      await data.db.close();
    }
  }

  /** The PGlite lock file a process leaves in the data directory. */
  get lockFile(): string {
    return path.join(this.dataDir, 'pglite', 'stagemaatje.lock');
  }

  async dispose(): Promise<void> {
    if (this.server) {
      await this.server.db.query(`DROP SCHEMA IF EXISTS "${this.server.schema}" CASCADE`);
      await this.server.db.close();
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The environment of a server process in these tests: the database, Teams and WhatsApp fakes, test speed. */
export function serverEnv(
  database: ProcessDatabase,
  fakes: { connector?: FakeConnector; graph?: FakeGraphApi } = {},
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...database.env,
    REPORT_ENCRYPTION_KEY: TEST_KEY,
    COUNSELLOR_HOURS: 'always',
    RATE_LIMIT_MESSAGES_PER_MINUTE: '10000',
    ...(fakes.connector ? teamsEnv(fakes.connector) : {}),
    ...(fakes.graph ? whatsappEnv(fakes.graph) : {}),
    ...extra,
  };
}

/** A counter of the Prometheus endpoint of a process, e.g. turns on a channel. */
export async function metric(server: Endpoint, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

// ---- students ------------------------------------------------------------------------------------

let activityCounter = 0;

/** Where a student's message goes: a server process, or an app listening in the test process. */
export interface Endpoint {
  name: string;
  base: string;
}

/**
 * A Web Chat student. Each message goes to the process the test names; the replies returned are
 * exactly those the bot sent in answer to that message (matched on replyToId), so messages sent at
 * the same moment keep their replies apart.
 */
export class WebChatStudent {
  readonly id = `wc-${crypto.randomBytes(4).toString('hex')}`;

  constructor(readonly connector: FakeConnector) {}

  get conversationId(): string {
    return `conv-${this.id}`;
  }

  /** The storage key of this conversation's state (botbuilder's ConversationState). */
  get stateKey(): string {
    return `webchat/conversations/${this.conversationId}/`;
  }

  async send(server: Endpoint, text: string, options: { press?: boolean } = {}): Promise<Partial<Activity>[]> {
    const id = `${this.id}-${++activityCounter}`;
    const res = await fetch(`${server.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        id,
        timestamp: new Date().toISOString(),
        serviceUrl: this.connector.url,
        channelId: 'webchat',
        from: { id: this.id, name: 'Student' },
        recipient: { id: 'bot', name: 'Stagemaatje' },
        conversation: { id: this.conversationId },
        text,
        ...(options.press ? { value: { choice: text } } : {}),
      }),
    });
    assert.equal(res.status, 200, `${server.name} answered ${res.status}: ${await res.text()}`);
    return this.repliesTo(id);
  }

  press(server: Endpoint, value: string): Promise<Partial<Activity>[]> {
    return this.send(server, value, { press: true });
  }

  /** What the bot sent in answer to one message. */
  repliesTo(activityId: string): Partial<Activity>[] {
    return this.connector.calls
      .filter((c) => c.method === 'POST' && c.conversationId === this.conversationId && c.activityId === activityId)
      .map((c) => c.body as Partial<Activity>);
  }

  /** Everything the bot sent to this student so far. */
  everything(): Partial<Activity>[] {
    return this.connector.activities(this.conversationId);
  }
}

export function texts(activities: Array<Partial<Activity>>): string {
  return activities.map((a) => a.text ?? '').join('\n');
}

/** A WhatsApp student: signed webhooks to the process the test names; answers arrive at the fake Graph API. */
export class WhatsAppStudent {
  readonly waId = `316${crypto.randomInt(10_000_000, 99_999_999)}`;

  constructor(readonly graph: FakeGraphApi) {}

  /** A text message, or a tap on an offered button / list row. */
  message(input: string, press = false): RawMessage {
    return press ? replyMessage('list_reply', input, { from: this.waId }) : textMessage(input, { from: this.waId });
  }

  /** Delivers a message (Meta's webhook) to a process; Meta only counts a 200 as delivered. */
  async deliver(server: Endpoint, message: RawMessage): Promise<void> {
    const res = await postWebhook(server.base, messagesPayload(message));
    assert.equal(res.status, 200, `${server.name} answered the webhook with ${res.status}`);
  }

  /** Messages the bot sent to this student. */
  sent(): SentMessage[] {
    return this.graph.sends().filter((m) => m.to === this.waId);
  }

  sentText(): string {
    return this.sent().map(shownText).join('\n');
  }

  /** Waits until the bot has sent this student a message matching `pattern` `times` times. */
  async waitForText(pattern: RegExp, times = 1, timeoutMs = 20_000): Promise<void> {
    await eventually(() => this.count(pattern) >= times, () => `WhatsApp message ${pattern} (${times}x); the student has: ${this.sentText()}`, timeoutMs);
  }

  count(pattern: RegExp): number {
    return this.sent().filter((m) => pattern.test(shownText(m))).length;
  }
}
