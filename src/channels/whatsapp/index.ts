/**
 * The WhatsApp channel (WhatsApp Business Cloud API): the webhook routes, a BotAdapter that turns
 * webhook messages into Activities for the student bot and Activities into Cloud API messages,
 * media downloads, and the records it keeps per student (erased on request).
 *
 * Contract for the rest of the app (src/app.ts wires it; src/handoff uses `adapter` and
 * `onDeliveryFailed`):
 * - students get `channelId: 'whatsapp'`, and `from.id` = `conversation.id` = `userIdFor(wa_id)`,
 *   a pseudonym; the phone number never appears in an Activity or a log line. `activity.id` is a
 *   keyed hash of Meta's message id (a wamid encodes the phone number);
 * - a button press arrives as `text` = the button value, and `value: { choice }`;
 * - replies use `activity.locale` (e.g. 'en') for the few words the channel adds (list button);
 * - `adapter.continueConversationAsync(botAppId, reference, logic)` sends proactive messages (a
 *   counsellor's reply); a message that cannot be delivered throws a `WhatsAppDeliveryError`, and a
 *   failure that Meta reports later (a `failed` status webhook) calls `onDeliveryFailed` with the
 *   `channelData.origin` the sender put on the Activity. Outside the 24-hour window without a
 *   template, both happen: the sender gets the error and `onDeliveryFailed` hears 'window_closed'.
 *
 * How it works: docs/whatsapp.md (setup) and the module comments in this folder.
 */
import type { Server } from 'restify';
import type { TurnContext } from 'botbuilder';
import type { WhatsAppConfig } from '../../config';
import type { Logger } from '../../logger';
import type { Db } from '../../storage/db';
import type { Cipher } from '../../storage/crypto';
import type { InFlight } from '../../server';
import type { MediaFetcher } from '../media';

export interface DeliveryFailure {
  /** Pseudonymous user id (= conversation id) of the student. */
  userId: string;
  /** Whatever the sender put in `activity.channelData.origin` (e.g. `{ handoffId }`). */
  origin?: unknown;
  reason: 'window_closed' | 'failed';
  code?: number;
}

export interface WhatsAppChannelDeps {
  config: WhatsAppConfig;
  maxRequestBytes: number;
  db: Db;
  cipher: Cipher;
  logger: Logger;
  inFlight: InFlight;
  /** Runs one turn through the student bot. */
  runTurn(context: TurnContext): Promise<void>;
  userIdFor(waId: string): string;
  subjectFor(userId: string): string;
  onDeliveryFailed?(failure: DeliveryFailure): Promise<void>;
  now?: () => Date;
  /** Timings and limits; the defaults suit production, tests shorten them. */
  tuning?: Partial<WhatsAppTuning>;
}

export interface WhatsAppTuning {
  /** How long a process owns an inbound message before another may take it over (crash recovery). */
  leaseMs: number;
  /** Tries per inbound message before it is given up on. */
  maxAttempts: number;
  requestTimeoutMs: number;
  /** Tries per Cloud API call (429, 5xx, rate limits, timeouts). */
  requestAttempts: number;
  retryBaseDelayMs: number;
  pairRateDelayMs: number;
  keepMessageKeysDays: number;
  keepOutboundDays: number;
}

export interface WhatsAppChannel {
  /** A botbuilder BotAdapter for the Cloud API. */
  adapter: import('botbuilder').BotAdapter & {
    continueConversationAsync(botAppId: string, reference: Partial<import('botbuilder').ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void>;
  };
  mountRoutes(server: Server): void;
  media: MediaFetcher;
  /** Processes inbound messages whose turn never finished (crash), after their lease expired. */
  recover(): Promise<void>;
  /** Deletes old dedupe records (processed message ids past the retry horizon). */
  cleanup(): Promise<void>;
  /** Resolves when the background work started so far is done (tests; shutdown uses InFlight). */
  settled(): Promise<void>;
}

export { createWhatsAppChannel } from './whatsappChannel';
export { WhatsAppDeliveryError, type DeliveryErrorReason } from './deliveryError';
