/**
 * The HTTP surface (restify): Bot Framework messages, health and readiness, and the routes that
 * channels and operations add. No bot logic lives here: handlers are passed in by src/app.ts.
 */
import restify, { type Next, type Request, type Response, type Server } from 'restify';
import { z } from 'zod';
import type { Logger } from './logger';

export interface ServerDeps {
  logger: Logger;
  maxRequestBytes: number;
  requestsPerMinute: number;
  /** Runs one Bot Framework request (CloudAdapter.process). */
  processBotFramework(req: Request, res: Response): Promise<void>;
  ready(): Promise<boolean>;
  /** Extra routes (WhatsApp webhook, metrics), registered after the core ones. */
  extraRoutes?: Array<(server: Server) => void>;
}

/** What /api/messages accepts: enough of an Activity for CloudAdapter not to trip over it. */
const activityShape = z
  .object({
    type: z.string().min(1).max(64),
    channelId: z.string().min(1).max(128).optional(),
    serviceUrl: z.string().max(2048).optional(),
    conversation: z.object({ id: z.string().min(1).max(1024) }).passthrough().optional(),
    from: z.object({ id: z.string().max(1024) }).passthrough().optional(),
    text: z.string().optional(),
  })
  .passthrough();

/** Refuses compressed bodies on /api/messages, before they are read. */
function refuseCompressedBody(req: Request, res: Response, next: Next): void {
  // restify's body reader inflates gzip without any size limit (a small "gzip bomb" becomes gigabytes
  // in memory), and Bot Framework channels never compress requests.
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    res.send(415, { error: 'Unsupported Media Type: send the body uncompressed.' });
    return next(false);
  }
  return next();
}

/** Counts requests and background work still running, so shutdown can wait for them. */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work();
    } finally {
      this.count--;
      if (this.count === 0) for (const resolve of this.waiters.splice(0)) resolve();
    }
  }

  get active(): number {
    return this.count;
  }

  /** Resolves when nothing is running (or after `timeoutMs`). */
  idle(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

export function createServer(deps: ServerDeps, inFlight: InFlight): Server {
  // restify logs too (the throttle, at info): through our logger, never below info (its trace lines hold request bodies).
  const httpLog = deps.logger.child({ component: 'http' }, { level: deps.logger.isLevelEnabled('info') ? 'info' : deps.logger.level });
  const server = restify.createServer({ name: 'stagemaatje', handleUncaughtExceptions: false, log: httpLog as unknown as restify.ServerOptions['log'] });
  server.pre(restify.plugins.pre.context());
  const throttle = restify.plugins.throttle({
    burst: Math.max(10, Math.ceil(deps.requestsPerMinute / 6)),
    rate: deps.requestsPerMinute / 60,
    ip: true,
  });
  // Per-IP limits would throttle all of Meta at once: the WhatsApp route limits per student instead.
  server.use((req, res, next) => (req.path().startsWith('/api/whatsapp') ? next() : throttle(req, res, next)));

  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
    return next();
  });

  server.get('/readyz', async (_req, res) => {
    const ready = await deps.ready();
    res.send(ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', database: ready ? 'ok' : 'unreachable' });
  });

  server.post(
    '/api/messages',
    refuseCompressedBody,
    restify.plugins.bodyParser({ maxBodySize: deps.maxRequestBytes, mapParams: false, rejectUnknown: true }),
    async (req: Request, res: Response) => {
      const parsed = activityShape.safeParse(req.body);
      if (!parsed.success) {
        res.send(400, { error: 'Bad request: the body is not a Bot Framework activity.' });
        return;
      }
      // CloudAdapter answers a failure with the error's own message as the body: keep that inside.
      const send = res.send.bind(res);
      res.send = ((...args: Parameters<Response['send']>) =>
        res.statusCode >= 500 && typeof args[0] !== 'number' ? send({ error: 'Internal server error.' }) : send(...args)) as Response['send'];
      await inFlight.track(() => deps.processBotFramework(req, res));
      if (res.statusCode >= 500 && res.statusCode !== 501) deps.logger.error({ event: 'bot_framework_request_failed', status: res.statusCode }, 'a Bot Framework request failed');
    },
  );

  for (const add of deps.extraRoutes ?? []) add(server);

  server.on('restifyError', (req: Request, _res: Response, err: Error & { statusCode?: number }, callback: () => void) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) deps.logger.error({ event: 'http_error', route: req.getRoute()?.path, err: err.message }, 'request failed');
    else deps.logger.info({ event: 'http_rejected', route: req.getRoute()?.path, status }, 'request rejected');
    return callback();
  });
  return server;
}
