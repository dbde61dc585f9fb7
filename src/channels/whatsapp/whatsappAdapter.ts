/**
 * The botbuilder BotAdapter for the WhatsApp Cloud API. Inbound, it turns a stored webhook message
 * into an Activity and runs it through the middleware and the bot; outbound, it maps the turn's
 * replies to Cloud API messages (outboundMapping.ts) and sends them, inside the 24-hour window or
 * as an approved template outside it. A message that cannot be sent throws a WhatsAppDeliveryError:
 * the caller must know, so nothing is lost silently.
 *
 * Privacy: the Activity holds a pseudonymous user id, no phone number and no profile name. Even
 * `activity.id` is our message key, not Meta's message id, because a wamid encodes the phone
 * number and activity ids end up in logs and stored conversation references.
 */
import {
  ActivityTypes,
  BotAdapter,
  TurnContext,
  type Activity,
  type ConversationReference,
  type ResourceResponse,
} from 'botbuilder';
import type { WhatsAppConfig } from '../../config';
import type { Logger } from '../../logger';
import { translator, type Lang } from '../../i18n/i18n';
import type { DeliveryFailure } from './index';
import { CloudApiError, type CloudApiClient, type Recipient } from './cloudApiClient';
import type { WhatsAppContacts } from './contacts';
import { WhatsAppDeliveryError } from './deliveryError';
import type { PendingReplies, WhatsAppInbox } from './inbox';
import type { WhatsAppOutboundLog } from './outboundLog';
import { languageOf, planMessages, planTemplate, templateLanguage, type PlannedMessage } from './outboundMapping';
import type { InboundMessage } from './webhookPayload';

export const WHATSAPP_CHANNEL = 'whatsapp';
/** Activities need a serviceUrl; WhatsApp has none, so a stable placeholder that can never resolve. */
export const WHATSAPP_SERVICE_URL = 'https://whatsapp.invalid/';
const WINDOW_MS = 24 * 60 * 60_000;
/** Meta counts from when the student's message reached it; a minute of margin covers the difference. */
const WINDOW_MARGIN_MS = 60_000;
const WINDOW_CLOSED = 131047;

type Logic = (context: TurnContext) => Promise<void>;

export interface WhatsAppAdapterDeps {
  config: Pick<WhatsAppConfig, 'phoneNumberId' | 'templateName' | 'templateLanguages'>;
  client: CloudApiClient;
  contacts: WhatsAppContacts;
  inbox: WhatsAppInbox;
  outbound: WhatsAppOutboundLog;
  logger: Logger;
  now: () => Date;
  onDeliveryFailed?(failure: DeliveryFailure): Promise<void>;
}

/** The inbound message a turn answers; kept in turnState so replies know whom and what they answer. */
interface InboundTurn {
  key: string;
  userId: string;
  message: InboundMessage;
}
const INBOUND_TURN = Symbol('whatsapp.inboundTurn');

interface Destination extends Recipient {
  userId: string;
  lastInboundAt?: Date;
}

export class WhatsAppAdapter extends BotAdapter {
  constructor(private readonly deps: WhatsAppAdapterDeps) {
    super();
  }

  /** The Activity for a student's message. */
  toActivity(key: string, userId: string, message: InboundMessage): Partial<Activity> {
    return {
      type: ActivityTypes.Message,
      id: key,
      timestamp: new Date(message.timestamp * 1000),
      channelId: WHATSAPP_CHANNEL,
      serviceUrl: WHATSAPP_SERVICE_URL,
      // No profile name: it is personal data the bot does not need.
      from: { id: userId, name: '' },
      recipient: { id: this.deps.config.phoneNumberId, name: '' },
      conversation: { id: userId, isGroup: false, conversationType: 'personal', name: '' },
      text: message.text,
      ...(message.choice ? { value: { choice: message.choice } } : {}),
      ...(message.attachments.length > 0 ? { attachments: message.attachments } : {}),
      // Only the type: the raw payload holds the phone number.
      channelData: { whatsapp: { type: message.type } },
    };
  }

  /** Runs one turn for a stored message (middleware, then `logic`, usually the student bot). */
  async processInbound(key: string, userId: string, message: InboundMessage, logic: Logic): Promise<void> {
    const context = new TurnContext(this, this.toActivity(key, userId, message));
    context.turnState.set(INBOUND_TURN, { key, userId, message } satisfies InboundTurn);
    await this.runMiddleware(context, logic);
  }

  /** Sends the replies of a turn that finished earlier but whose sending was cut short. */
  async deliverPending(key: string, userId: string, message: InboundMessage, replies: PendingReplies): Promise<void> {
    const destination = await this.destination({ key, userId, message }, userId);
    await this.deliver(destination, replies.activities, { key, message, alreadySent: replies.sent });
  }

  override async sendActivities(context: TurnContext, activities: Array<Partial<Activity>>): Promise<ResourceResponse[]> {
    const inbound = context.turnState.get(INBOUND_TURN) as InboundTurn | undefined;
    if (inbound && activities.some((a) => a.type === ActivityTypes.Typing)) this.showTyping(inbound.message.wamid);
    if (!activities.some((a) => (a.type ?? ActivityTypes.Message) === ActivityTypes.Message)) return activities.map(() => ({ id: '' }));
    const userId = inbound?.userId ?? context.activity.conversation?.id ?? context.activity.from?.id;
    if (!userId) throw new WhatsAppDeliveryError('unknown_recipient', { permanent: true });
    const destination = await this.destination(inbound, userId);
    const batch = activities.map(slim);
    return this.deliver(destination, batch, inbound ? { key: inbound.key, message: inbound.message, alreadySent: 0 } : undefined, context.activity.locale);
  }

  override async updateActivity(): Promise<void> {
    throw new Error('WhatsApp messages cannot be edited');
  }

  override async deleteActivity(): Promise<void> {
    throw new Error('WhatsApp messages cannot be deleted by the bot');
  }

  override async continueConversation(reference: Partial<ConversationReference>, logic: Logic): Promise<void> {
    const activity = TurnContext.applyConversationReference({ type: ActivityTypes.Event, name: 'ContinueConversation' }, reference, true);
    activity.channelId ??= WHATSAPP_CHANNEL;
    activity.serviceUrl ??= WHATSAPP_SERVICE_URL;
    await this.runMiddleware(new TurnContext(this, activity), logic);
  }

  /** Proactive messages (a counsellor's reply): the reference's conversation id is the student's user id. */
  override async continueConversationAsync(
    _botAppIdOrClaims: unknown,
    reference: Partial<ConversationReference>,
    logicOrAudience: Logic | string,
    maybeLogic?: Logic,
  ): Promise<void> {
    const logic = typeof logicOrAudience === 'function' ? logicOrAudience : maybeLogic;
    if (!logic) throw new TypeError('continueConversationAsync needs a callback');
    await this.continueConversation(reference, logic);
  }

  private showTyping(wamid: string): void {
    this.deps.client.markRead(wamid, true).catch((err: Error) => {
      this.deps.logger.debug({ event: 'whatsapp_typing_failed', err: err.message }, 'could not show typing');
    });
  }

  private async destination(inbound: InboundTurn | undefined, userId: string): Promise<Destination> {
    if (inbound) {
      // The number comes from the message itself: in the turn that erases the student's data the
      // contact row is already gone, and the confirmation must still reach them.
      const fromMessage: Destination = {
        userId,
        ...(inbound.message.waId ? { waId: inbound.message.waId } : {}),
        ...(inbound.message.bsuid ? { bsuid: inbound.message.bsuid } : {}),
        lastInboundAt: new Date(inbound.message.timestamp * 1000),
      };
      if (this.windowOpen(fromMessage.lastInboundAt)) return fromMessage;
      const stored = await this.deps.contacts.find(userId);
      return stored?.lastInboundAt && stored.lastInboundAt > fromMessage.lastInboundAt! ? { ...fromMessage, lastInboundAt: stored.lastInboundAt } : fromMessage;
    }
    const contact = await this.deps.contacts.find(userId);
    if (!contact || (!contact.waId && !contact.bsuid)) throw new WhatsAppDeliveryError('unknown_recipient', { permanent: true });
    return contact;
  }

  private windowOpen(lastInboundAt: Date | undefined): boolean {
    return Boolean(lastInboundAt && this.deps.now().getTime() - lastInboundAt.getTime() < WINDOW_MS - WINDOW_MARGIN_MS);
  }

  /**
   * Sends a batch. For a turn's replies (`inbound`), the batch and its progress are saved with the
   * inbound message before each send: if sending fails or the process dies, the retry sends what is
   * left instead of running the turn again on state that has already moved on.
   */
  private async deliver(
    destination: Destination,
    activities: Array<Partial<Activity>>,
    inbound: { key: string; message: InboundMessage; alreadySent: number } | undefined,
    contextLocale?: string,
  ): Promise<ResourceResponse[]> {
    const lang = languageOf(activities, contextLocale);
    const plan = planMessages(activities, translator(lang));
    const responses: ResourceResponse[] = activities.map(() => ({ id: '' }));
    if (plan.length === 0) return responses;
    const progress = async (sent: number) => {
      if (inbound) await this.deps.inbox.saveReplies(inbound.key, { message: inbound.message, replies: { activities, sent } });
    };
    let sent = inbound?.alreadySent ?? 0;
    if (!this.windowOpen(destination.lastInboundAt)) {
      await progress(sent);
      await this.sendTemplate(destination, activities, plan.slice(sent), lang, responses);
      await progress(plan.length);
      return responses;
    }
    for (; sent < plan.length; sent++) {
      await progress(sent);
      const message = plan[sent]!;
      let wamid: string;
      try {
        wamid = await this.deps.client.sendMessage(destination, message.body);
      } catch (err) {
        if (err instanceof CloudApiError && err.info.code === WINDOW_CLOSED) {
          // Meta says the window closed (our clock or the stored time disagreed): fall back to the template.
          await this.sendTemplate(destination, activities, plan.slice(sent), lang, responses);
          await progress(plan.length);
          return responses;
        }
        throw this.deliveryError(err, destination, sent);
      }
      const key = await this.deps.outbound.record(wamid, destination.userId, originOf(activities, message.activities));
      for (const index of message.activities) responses[index] = { id: key };
    }
    await progress(plan.length);
    return responses;
  }

  private async sendTemplate(destination: Destination, activities: Array<Partial<Activity>>, remaining: PlannedMessage[], lang: Lang, responses: ResourceResponse[]): Promise<void> {
    const indexes = [...new Set(remaining.flatMap((m) => m.activities))].sort((a, b) => a - b);
    const origin = originOf(activities, indexes);
    const name = this.deps.config.templateName;
    const language = templateLanguage(lang, this.deps.config.templateLanguages);
    const template = name && language ? planTemplate(indexes.map((i) => activities[i]!), { name, language }) : undefined;
    if (!template) {
      this.deps.logger.warn({ event: 'whatsapp_window_closed', userId: destination.userId }, 'the 24-hour window is closed and no template is configured');
      await this.reportFailure({ userId: destination.userId, origin, reason: 'window_closed' });
      throw new WhatsAppDeliveryError('window_closed', { permanent: true, code: WINDOW_CLOSED });
    }
    let wamid: string;
    try {
      wamid = await this.deps.client.sendMessage(destination, template.body);
    } catch (err) {
      throw this.deliveryError(err, destination, 0);
    }
    const key = await this.deps.outbound.record(wamid, destination.userId, origin);
    for (const index of indexes) responses[index] = { id: key };
    this.deps.logger.info({ event: 'whatsapp_template_sent', userId: destination.userId, language }, 'window closed: sent the approved template');
  }

  private deliveryError(err: unknown, destination: Destination, sent: number): WhatsAppDeliveryError {
    const info = err instanceof CloudApiError ? err.info : undefined;
    this.deps.logger.error(
      { event: 'whatsapp_send_failed', userId: destination.userId, status: info?.status, code: info?.code, kind: info?.kind, fbtraceId: info?.fbtraceId, sent },
      'a WhatsApp message could not be sent',
    );
    return new WhatsAppDeliveryError('failed', {
      permanent: info ? !info.retryable : false,
      sent,
      ...(info?.code !== undefined ? { code: info.code } : {}),
    });
  }

  async reportFailure(failure: DeliveryFailure): Promise<void> {
    if (!this.deps.onDeliveryFailed) return;
    try {
      await this.deps.onDeliveryFailed(failure);
    } catch (err) {
      this.deps.logger.error({ event: 'whatsapp_delivery_failure_handler_failed', userId: failure.userId, err: (err as Error).message }, 'onDeliveryFailed threw');
    }
  }
}

/** What is worth keeping of an outgoing activity (it is stored, encrypted, until it is sent). */
function slim(activity: Partial<Activity>): Partial<Activity> {
  const origin = (activity.channelData as { origin?: unknown } | undefined)?.origin;
  return {
    type: activity.type ?? ActivityTypes.Message,
    ...(activity.text ? { text: activity.text } : {}),
    ...(activity.locale ? { locale: activity.locale } : {}),
    ...(activity.suggestedActions ? { suggestedActions: activity.suggestedActions } : {}),
    ...(activity.attachments?.length ? { attachments: activity.attachments } : {}),
    ...(origin !== undefined ? { channelData: { origin } } : {}),
  };
}

function originOf(activities: Array<Partial<Activity>>, indexes: number[]): unknown {
  for (const index of indexes) {
    const origin = (activities[index]?.channelData as { origin?: unknown } | undefined)?.origin;
    if (origin !== undefined) return origin;
  }
  return undefined;
}
