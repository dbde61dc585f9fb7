/**
 * A fake WhatsApp Cloud API (Graph API) on 127.0.0.1: records every call, answers sends with a
 * fresh wamid, serves media, and can be told to fail the next calls with Meta's error envelopes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const API_VERSION = 'v23.0';

export interface GraphCall {
  method: string;
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
}

export interface Failure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Which calls this failure applies to; default: message sends. */
  match?: (call: GraphCall) => boolean;
}

export interface FakeMedia {
  data: Buffer;
  mimeType: string;
  /** What the metadata claims (file_size); defaults to the real size. */
  declaredSize?: number;
}

/** Meta's error envelope for a code (see test/fixtures/whatsapp/whatsapp-error-http.json). */
export function graphError(code: number, message = 'error'): unknown {
  return { error: { message: `(#${code}) ${message}`, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details: message }, fbtrace_id: 'AFakeTraceId' } };
}

/** A message body as the bot posted it to `/messages`. */
export interface SentMessage {
  messaging_product: string;
  type: string;
  to?: string;
  recipient?: string;
  text?: { body: string; preview_url?: boolean };
  interactive?: {
    type: 'button' | 'list';
    body: { text: string };
    action: {
      buttons?: Array<{ type: string; reply: { id: string; title: string } }>;
      button?: string;
      sections?: Array<{ title?: string; rows: Array<{ id: string; title: string; description?: string }> }>;
    };
  };
  template?: { name: string; language: { code: string }; components: Array<{ type: string; parameters: Array<{ type: string; text: string }> }> };
  image?: { link: string };
  document?: { link: string; filename?: string };
}

const isSend = (c: GraphCall) => c.method === 'POST' && /\/messages$/.test(c.path) && typeof c.body.type === 'string';

export class FakeGraphApi {
  readonly calls: GraphCall[] = [];
  readonly media = new Map<string, FakeMedia>();
  failNext: Failure[] = [];
  /** Delay before answering a send (timeouts). */
  sendDelayMs = 0;
  private server?: http.Server;
  private counter = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly accessToken = 'test-access-token') {}

  get origin(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** What WHATSAPP_API_URL points at. */
  get url(): string {
    return `${this.origin}/${API_VERSION}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): Promise<void> {
    const path = (req.url ?? '').split('?')[0]!;
    const call: GraphCall = {
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      body: raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {},
    };
    this.calls.push(call);
    for (const wake of this.waiters.splice(0)) wake();
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.accessToken}`) return json(401, graphError(190, 'Invalid OAuth access token'));
    const failure = this.failNext.findIndex((f) => (f.match ?? isSend)(call));
    if (failure >= 0) {
      const [f] = this.failNext.splice(failure, 1);
      return json(f!.status, f!.body ?? graphError(1, 'failure'), f!.headers);
    }
    if (call.method === 'POST' && path.endsWith('/messages')) {
      if (call.body.status === 'read') return json(200, { success: true });
      if (this.sendDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.sendDelayMs));
      const wamid = `wamid.FAKEOUT${String(++this.counter).padStart(6, '0')}`;
      return json(200, { messaging_product: 'whatsapp', contacts: [{ input: call.body.to, wa_id: call.body.to }], messages: [{ id: wamid }] });
    }
    const download = /^\/media\/([\w.-]+)$/.exec(path);
    if (call.method === 'GET' && download) {
      const media = this.media.get(download[1]!);
      if (!media) return json(404, graphError(100, 'no such media'));
      res.writeHead(200, { 'content-type': media.mimeType });
      res.end(media.data);
      return;
    }
    const info = new RegExp(`^/${API_VERSION}/([\\w.-]+)$`).exec(path);
    if (call.method === 'GET' && info) {
      const media = this.media.get(info[1]!);
      if (!media) return json(404, graphError(100, 'no such media'));
      return json(200, { messaging_product: 'whatsapp', url: `${this.origin}/media/${info[1]}`, mime_type: media.mimeType, file_size: media.declaredSize ?? media.data.length, id: info[1] });
    }
    json(404, graphError(100, 'unknown path'));
  }

  /** Messages the bot sent (not read receipts), with their bodies. */
  sends(): SentMessage[] {
    return this.calls.filter(isSend).map((c) => c.body as unknown as SentMessage);
  }

  readReceipts(): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.method === 'POST' && c.body.status === 'read').map((c) => c.body);
  }

  /** Waits until at least `count` messages were sent. */
  async waitForSends(count: number, timeoutMs = 10_000): Promise<SentMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.sends().length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} sends, got ${this.sends().length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.sends();
  }

  reset(): void {
    this.calls.splice(0);
    this.failNext = [];
    this.sendDelayMs = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** The text a sent message shows: a text body, an interactive body, or a template parameter. */
export function shownText(body: SentMessage): string {
  return body.text?.body ?? body.interactive?.body.text ?? body.template?.components[0]?.parameters[0]?.text ?? '';
}

/** The ids offered by an interactive message (buttons or list rows). */
export function offeredIds(body: SentMessage): string[] {
  const action = body.interactive?.action;
  if (!action) return [];
  return action.buttons ? action.buttons.map((b) => b.reply.id) : (action.sections ?? []).flatMap((s) => s.rows.map((r) => r.id));
}
