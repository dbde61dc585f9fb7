/**
 * Builds the WhatsApp channel from its parts and wires them together (see index.ts for the contract):
 * webhook routes → contacts + inbox (stored before the 200) → processor → adapter → student bot.
 */
import type { DeliveryFailure, WhatsAppChannel, WhatsAppChannelDeps, WhatsAppTuning } from './index';
import { CloudApiClient } from './cloudApiClient';
import { WhatsAppContacts } from './contacts';
import { WhatsAppInbox } from './inbox';
import { InboundProcessor } from './inboundProcessor';
import { WhatsAppMediaFetcher } from './mediaFetcher';
import { WhatsAppOutboundLog } from './outboundLog';
import { WhatsAppAdapter } from './whatsappAdapter';
import { toInbound, type WebhookPayload } from './webhookPayload';
import { mountWebhookRoutes } from './webhookRoutes';

const DAY_MS = 24 * 60 * 60_000;

export const DEFAULT_TUNING: WhatsAppTuning = {
  // Longer than a turn plus its sends; the lease is renewed before every send anyway.
  leaseMs: 90_000,
  maxAttempts: 5,
  requestTimeoutMs: 10_000,
  requestAttempts: 4,
  retryBaseDelayMs: 500,
  pairRateDelayMs: 6_000,
  // Meta retries a webhook for up to 7 days; a day more keeps every re-delivery recognisable.
  keepMessageKeysDays: 8,
  keepOutboundDays: 30,
};

export function createWhatsAppChannel(deps: WhatsAppChannelDeps): WhatsAppChannel {
  const tuning: WhatsAppTuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const now = deps.now ?? (() => new Date());
  const { config, db, cipher, logger } = deps;

  const client = new CloudApiClient({
    apiUrl: config.apiUrl,
    accessToken: config.accessToken,
    phoneNumberId: config.phoneNumberId,
    logger,
    timeoutMs: tuning.requestTimeoutMs,
    attempts: tuning.requestAttempts,
    baseDelayMs: tuning.retryBaseDelayMs,
    pairRateDelayMs: tuning.pairRateDelayMs,
  });
  const contacts = new WhatsAppContacts(db, cipher);
  const inbox = new WhatsAppInbox(db, cipher, tuning.leaseMs);
  const outbound = new WhatsAppOutboundLog(db, cipher);
  const adapter = new WhatsAppAdapter({ config, client, contacts, inbox, outbound, logger, now, onDeliveryFailed: deps.onDeliveryFailed });
  const processor = new InboundProcessor({ inbox, adapter, client, runTurn: deps.runTurn, logger, inFlight: deps.inFlight, maxAttempts: tuning.maxAttempts });

  async function accept(payload: WebhookPayload): Promise<() => void> {
    const contents = toInbound(payload, config.phoneNumberId);
    const users: string[] = [];
    let duplicates = 0;
    for (const message of contents.messages) {
      const userId = deps.userIdFor(message.waId ?? `bsuid:${message.bsuid}`);
      await contacts.upsert({
        userId,
        subject: deps.subjectFor(userId),
        waId: message.waId,
        bsuid: message.bsuid,
        inboundAt: new Date(message.timestamp * 1000),
      });
      const { state } = await inbox.store(userId, message);
      if (state === 'done') duplicates++;
      else if (!users.includes(userId)) users.push(userId);
    }
    const failures: DeliveryFailure[] = [];
    for (const status of contents.statuses) {
      const change = await outbound.applyStatus(status.wamid, status.status, new Date(status.timestamp * 1000), status.code);
      if (change?.status !== 'failed') continue;
      logger.warn({ event: 'whatsapp_message_failed', userId: change.userId, code: change.code }, 'Meta reports a message to a student as failed');
      failures.push({ userId: change.userId, origin: change.origin, reason: change.code === 131047 ? 'window_closed' : 'failed', ...(change.code !== undefined ? { code: change.code } : {}) });
    }
    for (const code of contents.errorCodes) logger.warn({ event: 'whatsapp_webhook_error', code }, 'Meta reported an error in a webhook');
    // Status webhooks are about three times as frequent as messages: keep them out of the info log.
    logger[contents.messages.length > 0 ? 'info' : 'debug'](
      { event: 'whatsapp_webhook', messages: contents.messages.length, duplicates, statuses: contents.statuses.length, ignored: contents.ignored },
      'WhatsApp webhook received',
    );
    return () => {
      for (const userId of users) void processor.schedule(userId);
      for (const failure of failures) void deps.inFlight.track(() => adapter.reportFailure(failure));
    };
  }

  return {
    adapter,
    media: new WhatsAppMediaFetcher(client),
    mountRoutes: (server) =>
      mountWebhookRoutes(server, {
        appSecret: config.appSecret,
        verifyToken: config.verifyToken,
        maxRequestBytes: deps.maxRequestBytes,
        logger,
        inFlight: deps.inFlight,
        accept,
      }),
    recover: () => processor.recover(),
    cleanup: async () => {
      const at = now().getTime();
      const messageKeys = await inbox.cleanup(new Date(at - tuning.keepMessageKeysDays * DAY_MS));
      const outboundRecords = await outbound.cleanup(new Date(at - tuning.keepOutboundDays * DAY_MS));
      logger.info({ event: 'whatsapp_cleanup', messageKeys, outboundRecords }, 'old WhatsApp records removed');
    },
    settled: () => processor.settled(),
  };
}
