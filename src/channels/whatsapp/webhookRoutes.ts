/**
 * The HTTP side of the webhook on the shared restify server:
 *
 * - GET  /api/whatsapp: Meta's verification handshake (once, when the webhook is set up);
 * - POST /api/whatsapp: notifications. Order matters: size limit (413) → signature over the raw
 *   bytes (401) → JSON (400) → schema (400) → store → 200 → process in the background. Meta wants
 *   a fast answer and retries anything that is not a 200, so the turn runs after the answer; what
 *   was stored before the 200 is never lost.
 */
import type { Request, Response, Server } from 'restify';
import type { Logger } from '../../logger';
import type { InFlight } from '../../server';
import { BodyTooLargeError, readRawBody } from './rawBody';
import { secretsMatch, verifySignature } from './signature';
import { webhookSchema, type WebhookPayload } from './webhookPayload';

export const WEBHOOK_PATH = '/api/whatsapp';

export interface WebhookRouteDeps {
  appSecret: string;
  verifyToken: string;
  maxRequestBytes: number;
  logger: Logger;
  inFlight: InFlight;
  /** Stores what the payload holds; returns the work to start once Meta has its answer. */
  accept(payload: WebhookPayload): Promise<() => void>;
}

export function mountWebhookRoutes(server: Server, deps: WebhookRouteDeps): void {
  server.get(WEBHOOK_PATH, async (req: Request, res: Response) => {
    const query = new URL(req.url ?? '', 'http://localhost').searchParams;
    const mode = query.get('hub.mode');
    const token = query.get('hub.verify_token');
    const challenge = query.get('hub.challenge');
    if (mode === 'subscribe' && token !== null && secretsMatch(token, deps.verifyToken) && challenge && challenge.length <= 512) {
      deps.logger.info({ event: 'whatsapp_webhook_verified' }, 'Meta verified the WhatsApp webhook');
      res.sendRaw(200, challenge, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
      return;
    }
    deps.logger.warn({ event: 'whatsapp_verification_refused', mode: mode === 'subscribe' ? mode : 'other' }, 'WhatsApp webhook verification refused');
    res.send(403, { error: 'Forbidden: verification failed.' });
  });

  server.post(WEBHOOK_PATH, async (req: Request, res: Response) => {
    await deps.inFlight.track(async () => {
      let raw: Buffer;
      try {
        raw = await readRawBody(req, deps.maxRequestBytes);
      } catch (err) {
        if (err instanceof BodyTooLargeError) {
          deps.logger.warn({ event: 'whatsapp_webhook_rejected', reason: 'too_large' }, 'WhatsApp webhook body over the size limit');
          res.send(413, { error: 'Payload too large.' });
          return;
        }
        deps.logger.warn({ event: 'whatsapp_webhook_rejected', reason: 'read_failed', err: (err as Error).message }, 'could not read a WhatsApp webhook body');
        res.send(400, { error: 'Bad request: the body could not be read.' });
        return;
      }
      if (!verifySignature(raw, req.headers['x-hub-signature-256'], deps.appSecret)) {
        deps.logger.warn({ event: 'whatsapp_webhook_rejected', reason: 'signature' }, 'WhatsApp webhook with a missing or wrong signature');
        res.send(401, { error: 'Unauthorized: missing or invalid X-Hub-Signature-256.' });
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        deps.logger.warn({ event: 'whatsapp_webhook_rejected', reason: 'json' }, 'signed WhatsApp webhook with malformed JSON');
        res.send(400, { error: 'Bad request: malformed JSON.' });
        return;
      }
      const parsed = webhookSchema.safeParse(json);
      if (!parsed.success) {
        deps.logger.warn({ event: 'whatsapp_webhook_rejected', reason: 'schema', issues: parsed.error.issues.length }, 'signed WhatsApp webhook in an unknown shape');
        res.send(400, { error: 'Bad request: not a WhatsApp webhook payload.' });
        return;
      }
      let start: () => void;
      try {
        start = await deps.accept(parsed.data);
      } catch (err) {
        // Nothing acknowledged: Meta delivers the same payload again later.
        deps.logger.error({ event: 'whatsapp_webhook_failed', err: (err as Error).message }, 'could not store a WhatsApp webhook');
        res.send(500, { error: 'Could not process the notification; please retry.' });
        return;
      }
      res.send(200, { status: 'received' });
      start();
    });
  });
}
