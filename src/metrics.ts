/**
 * Prometheus metrics (GET /metrics): turns and their latency per channel, failed turns, handoff
 * queue length, messages that could not be delivered, plus Node.js process
 * metrics. Each App has its own registry, so several apps in one process (tests) do not clash.
 */
import crypto from 'node:crypto';
import client from 'prom-client';
import type { Server } from 'restify';
import type { Db } from './storage/db';

export class Metrics {
  readonly registry = new client.Registry();
  readonly turns = new client.Counter({ name: 'stagemaatje_turns_total', help: 'Turns handled, by channel and outcome', labelNames: ['channel', 'outcome'], registers: [this.registry] });
  readonly turnSeconds = new client.Histogram({
    name: 'stagemaatje_turn_duration_seconds',
    help: 'Time to handle one turn (including sending the replies), by channel',
    labelNames: ['channel'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly outboundFailures = new client.Counter({ name: 'stagemaatje_outbound_failures_total', help: 'Messages that could not be delivered, by channel', labelNames: ['channel'], registers: [this.registry] });

  constructor(db: Db) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'stagemaatje_' });
    new client.Gauge({
      name: 'stagemaatje_handoff_queue_length',
      help: 'Open handoffs, by state (queued = waiting for a counsellor)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const { rows } = await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM handoffs WHERE state <> 'closed' GROUP BY state`);
        this.reset();
        this.set({ state: 'queued' }, 0);
        this.set({ state: 'claimed' }, 0);
        for (const row of rows) this.set({ state: row.state }, row.n);
      },
    });
  }

  /** Times a turn; errors inside the turn are counted by the adapter's error handler. */
  async timeTurn(channel: string, turn: () => Promise<void>): Promise<void> {
    const stop = this.turnSeconds.startTimer({ channel });
    try {
      await turn();
      this.turns.inc({ channel, outcome: 'ok' });
    } catch (err) {
      this.turns.inc({ channel, outcome: 'error' });
      throw err;
    } finally {
      stop();
    }
  }

  mount(server: Server, token?: string): void {
    server.get('/metrics', async (req, res) => {
      if (token) {
        const given = Buffer.from(String(req.headers.authorization ?? ''));
        const wanted = Buffer.from(`Bearer ${token}`);
        if (given.length !== wanted.length || !crypto.timingSafeEqual(given, wanted)) {
          res.send(401, { error: 'Unauthorized' });
          return;
        }
      }
      res.setHeader('content-type', this.registry.contentType);
      res.sendRaw(200, await this.registry.metrics());
    });
  }
}
