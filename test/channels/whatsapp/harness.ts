/**
 * Test harness for the WhatsApp channel on its own: the real channel and restify server over the
 * shared test database and a fake Graph API, with a stand-in for the bot that records each turn.
 * (The end-to-end tests use the whole app instead: see e2e.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Activity, TurnContext } from 'botbuilder';
import type { Server } from 'restify';
import { createWhatsAppChannel, type DeliveryFailure, type WhatsAppChannel, type WhatsAppTuning } from '../../../src/channels/whatsapp';
import { signatureHeader } from '../../../src/channels/whatsapp/signature';
import { openDataServices, type DataServices } from '../../../src/dataServices';
import { createLogger, silentLogger, type Logger } from '../../../src/logger';
import { createServer, InFlight } from '../../../src/server';
import { testConfig } from '../../helpers/app';
import { testDb } from '../../helpers/db';
import { FakeGraphApi } from './fakeGraphApi';

export const APP_SECRET = 'test-app-secret';
export const VERIFY_TOKEN = 'test-verify-token';
export const ACCESS_TOKEN = 'test-access-token';
export const PHONE_NUMBER_ID = '100000000000001';
/** The student in every fixture. */
export const STUDENT = '31600000001';
/** A clock a few minutes after the fixtures were sent (25 Nov 2025), so their 24-hour window is open. */
export const FIXTURE_NOW = () => new Date((1764072000 + 300) * 1000);

const FIXTURES = path.resolve(__dirname, '../../fixtures/whatsapp');

/** A fixture's exact bytes (the signature test vector depends on them). */
export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixture(name).toString('utf8')) as T;
}

/** The environment that switches the WhatsApp channel on in testApp(). */
export function whatsappEnv(graph: FakeGraphApi, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    WHATSAPP_API_URL: graph.url,
    ...extra,
  };
}

/** A real logger whose lines are kept, to check what is (and is not) logged. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

// ---- payload builders ----------------------------------------------------------------------------

let sequence = 0;
/** A fresh, unique message id. */
export function wamid(): string {
  return `wamid.TEST${process.pid}x${++sequence}x${Math.random().toString(36).slice(2, 8)}`;
}

export function nowSeconds(offsetSeconds = 0): string {
  return String(Math.floor(Date.now() / 1000) + offsetSeconds);
}

export type RawMessage = Record<string, unknown>;

export function textMessage(text: string, options: { id?: string; from?: string; timestamp?: string } = {}): RawMessage {
  return { from: options.from ?? STUDENT, id: options.id ?? wamid(), timestamp: options.timestamp ?? nowSeconds(), type: 'text', text: { body: text } };
}

export function replyMessage(kind: 'button_reply' | 'list_reply', id: string, options: { from?: string; title?: string } = {}): RawMessage {
  return {
    from: options.from ?? STUDENT,
    id: wamid(),
    timestamp: nowSeconds(),
    type: 'interactive',
    context: { from: '15550001234', id: 'wamid.HBgLMzE2MDAwMDAwMDEVAgARGBRGQUtFQlVUVE9OU01TRzAwMDAwMQA=' },
    interactive: { type: kind, [kind]: { id, title: options.title ?? id.slice(0, 20) } },
  };
}

/** A webhook payload: one change per group, groups in one entry each (like Meta's batching). */
export function payload(groups: Array<{ messages?: RawMessage[]; statuses?: unknown[]; phoneNumberId?: string; waIds?: string[] }>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: groups.map((g, i) => ({
      id: `20000000000000${i}`,
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550001234', phone_number_id: g.phoneNumberId ?? PHONE_NUMBER_ID },
            ...(g.messages
              ? { contacts: (g.waIds ?? [...new Set(g.messages.map((m) => m.from as string))]).map((w) => ({ profile: { name: 'Test Student' }, wa_id: w })), messages: g.messages }
              : {}),
            ...(g.statuses ? { statuses: g.statuses } : {}),
          },
        },
      ],
    })),
  };
}

export function messagesPayload(...messages: RawMessage[]): Record<string, unknown> {
  return payload([{ messages }]);
}

export function status(id: string, value: string, options: { timestamp?: string; code?: number } = {}): Record<string, unknown> {
  return {
    id,
    status: value,
    timestamp: options.timestamp ?? nowSeconds(),
    recipient_id: STUDENT,
    ...(options.code !== undefined ? { errors: [{ code: options.code, title: 'error', message: 'error' }] } : {}),
  };
}

/** Posts a (signed) webhook to `base`. `signature: null` leaves the header out. */
export async function postWebhook(base: string, body: Buffer | string | object, options: { signature?: string | null; secret?: string } = {}): Promise<Response> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = options.signature === undefined ? signatureHeader(raw, options.secret ?? APP_SECRET) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return fetch(`${base}/api/whatsapp`, { method: 'POST', headers, body: raw });
}

// ---- the channel on its own ----------------------------------------------------------------------

export interface HarnessOptions {
  graph?: FakeGraphApi;
  /** Replaces the stand-in bot. */
  runTurn?: (context: TurnContext, harness: Harness) => Promise<void>;
  tuning?: Partial<WhatsAppTuning>;
  templateName?: string;
  templateLanguages?: string[];
  maxRequestBytes?: number;
  logger?: Logger;
  now?: () => Date;
}

/** Retries and leases short enough for tests. */
export const FAST: Partial<WhatsAppTuning> = { retryBaseDelayMs: 5, pairRateDelayMs: 10, requestTimeoutMs: 2_000 };

export class Harness {
  readonly turns: Array<Partial<Activity>> = [];
  readonly failures: DeliveryFailure[] = [];
  readonly inFlight = new InFlight();
  base = '';
  channel!: WhatsAppChannel;
  data!: DataServices;
  graph!: FakeGraphApi;
  private server?: Server;
  private ownsGraph = false;

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const harness = new Harness();
    await harness.init(options);
    return harness;
  }

  private async init(options: HarnessOptions): Promise<void> {
    this.ownsGraph = !options.graph;
    this.graph = options.graph ?? (await new FakeGraphApi(ACCESS_TOKEN).start());
    const db = await testDb();
    const logger = options.logger ?? silentLogger;
    this.data = await openDataServices(testConfig(), logger, { db });
    const maxRequestBytes = options.maxRequestBytes ?? 1_048_576;
    this.channel = this.createChannel(options, maxRequestBytes, logger);
    this.server = createServer(
      {
        logger,
        maxRequestBytes,
        requestsPerMinute: 600,
        processBotFramework: async (_req, res) => {
          res.send(404);
        },
        ready: async () => true,
        extraRoutes: [(s) => this.channel.mountRoutes(s)],
      },
      this.inFlight,
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Another channel instance on the same database: a second process, or the process after a restart. */
  createChannel(options: HarnessOptions, maxRequestBytes = 1_048_576, logger: Logger = silentLogger): WhatsAppChannel {
    const runTurn = options.runTurn ?? ((context: TurnContext) => this.echo(context));
    return createWhatsAppChannel({
      config: {
        accessToken: ACCESS_TOKEN,
        phoneNumberId: PHONE_NUMBER_ID,
        appSecret: APP_SECRET,
        verifyToken: VERIFY_TOKEN,
        apiUrl: this.graph.url,
        templateName: options.templateName,
        templateLanguages: options.templateLanguages ?? ['nl', 'en_US'],
      },
      maxRequestBytes,
      db: this.data.db,
      cipher: this.data.cipher,
      logger,
      inFlight: this.inFlight,
      runTurn: (context) => runTurn(context, this),
      userIdFor: this.data.whatsAppUserId,
      subjectFor: (userId) => this.data.subjectId('whatsapp', userId),
      onDeliveryFailed: async (failure) => {
        this.failures.push(failure);
      },
      now: options.now,
      tuning: { ...FAST, ...options.tuning },
    });
  }

  /** The stand-in bot: records the turn and answers with one line. */
  private async echo(context: TurnContext): Promise<void> {
    this.turns.push(context.activity);
    await context.sendActivity(`antwoord ${this.turns.length}`);
  }

  userId(waId = STUDENT): string {
    return this.data.whatsAppUserId(waId);
  }

  post(body: Buffer | string | object, options: { signature?: string | null; secret?: string } = {}): Promise<Response> {
    return postWebhook(this.base, body, options);
  }

  /** Posts and waits until the turns it started have finished. */
  async deliver(body: Buffer | string | object): Promise<Response> {
    const res = await this.post(body);
    await this.channel.settled();
    return res;
  }

  async stop(): Promise<void> {
    await this.channel.settled();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    await this.inFlight.idle(5_000);
    if (this.ownsGraph) await this.graph.stop();
  }
}
