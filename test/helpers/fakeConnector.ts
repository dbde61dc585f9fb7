/**
 * A fake Bot Framework connector on 127.0.0.1: it receives what the bot sends to a `serviceUrl`
 * (replies, new conversations/threads, updates), the way Teams or Web Chat's channel would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Activity } from 'botbuilder';

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId?: string;
  activityId?: string;
  body: Record<string, unknown>;
}

export class FakeConnector {
  readonly calls: ConnectorCall[] = [];
  private server?: http.Server;
  private waiters: Array<{ test: (c: ConnectorCall) => boolean; resolve: (c: ConnectorCall) => void }> = [];
  private counter = 0;
  /** Make the next matching calls fail with this status (e.g. 403 for a blocked bot). */
  failNext: Array<{ status: number; match?: (c: ConnectorCall) => boolean }> = [];

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}/`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        const path = req.url ?? '';
        const match = /^\/v3\/conversations(?:\/([^/]+))?(?:\/activities(?:\/([^/]+))?)?/.exec(path);
        const call: ConnectorCall = {
          method: req.method ?? 'GET',
          path,
          conversationId: match?.[1] ? decodeURIComponent(match[1]) : undefined,
          activityId: match?.[2] ? decodeURIComponent(match[2]) : undefined,
          body,
        };
        const failure = this.failNext.findIndex((f) => !f.match || f.match(call));
        if (failure >= 0) {
          const [f] = this.failNext.splice(failure, 1);
          res.writeHead(f!.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'Forbidden', message: 'blocked' } }));
          return;
        }
        this.calls.push(call);
        for (const waiter of [...this.waiters]) {
          if (waiter.test(call)) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(call);
          }
        }
        const id = `act-${++this.counter}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        if (req.method === 'POST' && path === '/v3/conversations') {
          const channel = ((body.channelData as { channel?: { id?: string } })?.channel?.id ?? 'conv') as string;
          const rootId = `${Date.now()}${this.counter}`;
          res.end(JSON.stringify({ id: `${channel};messageid=${rootId}`, activityId: rootId }));
        } else {
          res.end(JSON.stringify({ id }));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Activities the bot posted (sent or replied) to a conversation. */
  activities(conversationId?: string): Partial<Activity>[] {
    return this.calls
      .filter((c) => c.method === 'POST' && c.activityId !== undefined || (c.method === 'POST' && /\/activities$/.test(c.path)))
      .filter((c) => !conversationId || c.conversationId === conversationId)
      .map((c) => c.body as Partial<Activity>);
  }

  waitFor(test: (c: ConnectorCall) => boolean, timeoutMs = 5000): Promise<ConnectorCall> {
    const existing = this.calls.find(test);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a connector call')), timeoutMs);
      this.waiters.push({
        test,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      });
    });
  }

  reset(): void {
    this.calls.splice(0);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
