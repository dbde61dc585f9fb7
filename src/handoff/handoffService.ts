/**
 * Counsellor handoff, "bot as a proxy": the bot relays between a student's chat (WhatsApp, Web Chat,
 * ...) and a thread in the counsellors' Teams channel.
 *
 * Student side: asking starts a handoff at once; the student hears their place in the queue and the
 * expected wait (or, out of office hours, when people are back, and may leave a message); they can
 * keep chatting with the bot or stop waiting. While a counsellor owns the conversation the bot is
 * silent and relays everything, except crisis words (crisis lines go to the student at once and the
 * counsellor sees that) and "stop talking to the person". After hand-back: a satisfaction question.
 *
 * Counsellor side (see src/bots/counsellorBot.ts): a card per request in a new thread, claim (atomic),
 * hand back, close; thread messages are relayed with the counsellor's first name; "//" is a private note.
 *
 * All state is in PostgreSQL (HandoffStore), so a restart or a second instance carries on.
 */
import {
  ActivityTypes,
  TurnContext,
  type Activity,
  type CloudAdapter,
  type ConversationReference,
} from 'botbuilder';
import type { Logger } from '../logger';
import { translator, type Lang, type Translate, isLang } from '../i18n/i18n';
import type { Handbook } from '../handbook/content';
import type { PiiRedactor } from '../text/redact';
import { capText, keywordForm, stripUnsafeCharacters } from '../text/normalize';
import type { ReportNotifier, ReportSummary } from '../reports/reportStore';
import { turnInfo, type TurnInfo } from '../../dialogs/turn';
import { messageWithChoices } from '../../dialogs/ui';
import { detectCrisis, recognizeCommand } from '../../dialogs/commands';
import type { HandoffStarter } from '../../dialogs/mainDialog';
import { RECENT_MESSAGES, type StudentRelay } from '../bots/studentBot';
import { isOpen, nextOpening, type OfficeHours } from './officeHours';
import { handoffCard, queueCard, reportCard, type HandoffAction } from './cards';
import type { CounsellorChannel, CounsellorChannelRegistry } from './counsellorChannel';
import type { Handoff, HandoffReason, HandoffStore } from './handoffStore';
import type { DeliveryFailure } from '../channels/whatsapp';
import type { MediaFetcher } from '../channels/media';
import type { Metrics } from '../metrics';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Counsellors read the channel in Dutch; replies to a counsellor follow their Teams language. */
export const COUNSELLOR_LANGUAGE: Lang = 'nl';


type ProactiveAdapter = Pick<CloudAdapter, 'continueConversationAsync'>;

export interface HandoffServiceDeps {
  store: HandoffStore;
  channels: CounsellorChannelRegistry;
  /** Teams, Web Chat and the Emulator. */
  cloudAdapter: CloudAdapter;
  /** Adapters for other student channels, by channel id (e.g. whatsapp). */
  studentAdapters: Record<string, ProactiveAdapter | undefined>;
  botAppId: string;
  officeHours: OfficeHours;
  timeoutMinutes: number;
  redactor: PiiRedactor;
  handbook: Handbook;
  /** Downloads students' images to show them in the thread. */
  media: MediaFetcher;
  metrics?: Metrics;
  logger: Logger;
  now?: () => Date;
}

export type ActionOutcome =
  | { ok: true; handoff: Handoff }
  | { ok: false; reason: 'notFound' | 'alreadyClaimed' | 'notClaimed' | 'closed' | 'notYours'; handoff?: Handoff };

/** A message could not reach the student (the caller tells the counsellor). */
export class StudentNotReachedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StudentNotReachedError';
  }
}

export class HandoffService implements HandoffStarter, StudentRelay, ReportNotifier {
  private readonly now: () => Date;
  private readonly counsellorT: Translate = translator(COUNSELLOR_LANGUAGE);

  constructor(private readonly deps: HandoffServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  // ---- student side ------------------------------------------------------------------------------

  async requestHandoff(context: TurnContext, reason: HandoffReason, reportRef?: string): Promise<void> {
    const info = turnInfo(context);
    const { t } = info;
    const existing = await this.deps.store.openFor(info.subject.id);
    if (existing) info.handoffOpen = true;
    if (existing && existing.requestedIn !== context.activity.id) {
      if (existing.state === 'claimed') await context.sendActivity(t('handoff.alreadyTalking', { name: firstName(existing.claimedByName) }));
      else await this.tellQueued(context, existing, t, 'handoff.alreadyWaiting');
      return;
    }
    const channel = await this.deps.channels.get();
    if (!channel) {
      this.deps.logger.warn({ event: 'handoff_unavailable', reason: 'no_counsellor_channel' }, 'a student asked for a person but no counsellor channel is set up');
      await context.sendActivity(messageWithChoices(t('handoff.noChannel'), [{ value: 'topic:talk-to-school', label: t('handoff.buttons.school') }, { value: 'menu:main', label: t('buttons.menu') }]));
      return;
    }
    const outOfHours = !isOpen(this.deps.officeHours, this.now());
    const summary = await this.summarise(info);
    const { handoff, created } = await this.deps.store.open({
      subject: info.subject.id,
      studentRef: TurnContext.getConversationReference(context.activity),
      lang: info.lang,
      reason,
      reportRef,
      summary,
      outOfHours,
      requestedIn: context.activity.id,
    });
    if (created || !handoff.threadId) {
      try {
        await this.openThread(handoff, channel, summary);
      } catch (err) {
        this.deps.logger.error({ event: 'handoff_thread_failed', handoff: handoff.id, err: (err as Error).message }, 'could not post the handoff to Teams');
        await this.deps.store.close(handoff.id, 'system');
        await context.sendActivity(t('handoff.notReached'));
        return;
      }
    }
    info.handoffOpen = true;
    this.deps.logger.info({ event: 'handoff_requested', handoff: handoff.id, reason, outOfHours }, 'student asked for a counsellor');
    if (outOfHours) {
      const back = nextOpening(this.deps.officeHours, this.now());
      await context.sendActivity(
        messageWithChoices(t('handoff.outOfHours', { when: back ? formatWhen(back, info.lang) : t('handoff.soon') }), [
          { value: 'handoff:leaveMessage', label: t('handoff.buttons.leaveMessage') },
          { value: 'handoff:cancel', label: t('handoff.buttons.cancel') },
        ]),
      );
      return;
    }
    await this.tellQueued(context, handoff, t, 'handoff.queued');
  }

  private async tellQueued(context: TurnContext, handoff: Handoff, t: Translate, key: string): Promise<void> {
    const position = await this.deps.store.positionOf(handoff);
    const typical = (await this.deps.store.typicalWaitMinutes()) ?? 10;
    const minutes = Math.max(5, Math.ceil((typical * position) / 5) * 5);
    await context.sendActivity(
      messageWithChoices(t(key, { position, minutes }), [
        { value: 'handoff:cancel', label: t('handoff.buttons.cancel') },
        { value: 'menu:main', label: t('buttons.menu') },
      ]),
    );
  }

  /** Runs before the dialogs: takes the student's message while a handoff needs it. */
  async handleStudentMessage(context: TurnContext, info: TurnInfo): Promise<boolean> {
    if (info.choice?.startsWith('satisfaction:')) return this.recordSatisfaction(context, info);
    if (!info.handoffOpen) return false;
    const handoff = await this.deps.store.openFor(info.subject.id);
    if (!handoff) {
      info.handoffOpen = false;
      return false;
    }
    const { t } = info;

    if (handoff.state === 'claimed') {
      const command = info.choice ? undefined : recognizeCommand(info.text);
      if (command?.kind === 'stopHuman' || info.choice === 'handoff:stop') {
        await this.closeByStudent(context, handoff, t);
        return true;
      }
      const crisis = info.choice ? undefined : detectCrisis(info.text);
      if (crisis) {
        await context.sendActivity(t(`crisis.${crisis}`, this.deps.handbook.crisisNumbers));
      }
      await this.relayToCounsellor(context, handoff, info, crisis !== undefined);
      return true;
    }

    // Waiting: the student can keep chatting with the bot, stop waiting, or leave a message.
    if (info.choice === 'handoff:cancel' || this.isCancel(info.text)) {
      await this.deps.store.close(handoff.id, 'student');
      await this.updateCard(handoff.id);
      await this.postNotice(handoff, this.counsellorT('counsellor.notices.cancelled', { label: handoff.label }));
      await context.sendActivity(messageWithChoices(t('handoff.cancelled'), [{ value: 'menu:main', label: t('buttons.menu') }]));
      return true;
    }
    if (info.choice === 'handoff:wait') {
      await context.sendActivity(t('handoff.keepWaiting'));
      return true;
    }
    if (info.choice === 'handoff:leaveMessage') {
      await this.deps.store.setAwaitingMessage(handoff.id, true);
      await context.sendActivity(t('handoff.leaveMessagePrompt'));
      return true;
    }
    if (handoff.awaitingMessage && (info.text || info.attachments.length > 0) && !info.choice) {
      await this.deps.store.setAwaitingMessage(handoff.id, false);
      await this.relayToCounsellor(context, handoff, info, false, true);
      await context.sendActivity(messageWithChoices(t('handoff.messageLeft'), [{ value: 'menu:main', label: t('buttons.menu') }]));
      return true;
    }
    return false;
  }

  private isCancel(text: string): boolean {
    const form = keywordForm(text);
    const phrases = ['stop met wachten', 'niet meer wachten', 'annuleer', 'annuleren', 'stop waiting', 'cancel', 'cancel waiting'];
    return phrases.includes(form);
  }

  private async closeByStudent(context: TurnContext, handoff: Handoff, t: Translate): Promise<void> {
    await this.deps.store.close(handoff.id, 'student');
    await this.updateCard(handoff.id);
    await this.postNotice(handoff, this.counsellorT('counsellor.notices.studentLeft', { label: handoff.label }));
    await context.sendActivity(satisfactionQuestion(t, 'handoff.backToBotByStudent'));
  }

  private async recordSatisfaction(context: TurnContext, info: TurnInfo): Promise<boolean> {
    const value = info.choice!.slice('satisfaction:'.length);
    const last = await this.deps.store.lastClosedFor(info.subject.id);
    if (last && ['good', 'ok', 'bad'].includes(value)) await this.deps.store.setSatisfaction(last.id, value);
    await context.sendActivity(messageWithChoices(info.t('handoff.thanksForFeedback'), [{ value: 'menu:main', label: info.t('buttons.menu') }]));
    return true;
  }

  private async relayToCounsellor(context: TurnContext, handoff: Handoff, info: TurnInfo, crisisSent: boolean, leftMessage = false): Promise<void> {
    const ct = this.counsellorT;
    const parts: Partial<Activity>[] = [];
    const text = info.text || (info.choice ? info.choice : '');
    if (text) {
      parts.push({
        type: ActivityTypes.Message,
        textFormat: 'plain',
        text: ct(leftMessage ? 'counsellor.fromStudentLeftMessage' : 'counsellor.fromStudent', { label: handoff.label, text: stripUnsafeCharacters(text) }),
      });
    }
    for (const attachment of info.attachments) {
      parts.push(...(await this.forwardAttachment(context, handoff, attachment)));
    }
    if (crisisSent) parts.push({ type: ActivityTypes.Message, text: ct('counsellor.notices.crisisSent', { label: handoff.label }) });
    try {
      await this.postToThread(handoff, parts);
    } catch (err) {
      this.deps.logger.error({ event: 'relay_to_counsellor_failed', handoff: handoff.id, err: (err as Error).message }, 'student message not delivered to Teams');
      this.deps.metrics?.outboundFailures.inc({ channel: 'msteams' });
      await context.sendActivity(info.t('handoff.notDeliveredToCounsellor'));
    }
  }

  /** Images go into the thread inline; other files are announced (Teams cannot open them from here). */
  private async forwardAttachment(context: TurnContext, handoff: Handoff, attachment: NonNullable<Activity['attachments']>[number]): Promise<Partial<Activity>[]> {
    const ct = this.counsellorT;
    // The content type comes from the student's side: shown to counsellors only as a plain MIME type.
    const type = mimeType(attachment.contentType);
    if (type.startsWith('image/') && !/sticker/i.test(type)) {
      try {
        const file = await this.deps.media.download(context, attachment, 3 * 1024 * 1024);
        const imageType = mimeType(file.contentType).startsWith('image/') ? mimeType(file.contentType) : type;
        return [
          {
            type: ActivityTypes.Message,
            textFormat: 'plain',
            text: ct('counsellor.fromStudentImage', { label: handoff.label }),
            attachments: [{ contentType: imageType, contentUrl: `data:${imageType};base64,${file.data.toString('base64')}`, name: 'image' }],
          },
        ];
      } catch (err) {
        this.deps.logger.warn({ event: 'relay_image_failed', handoff: handoff.id, err: (err as Error).message }, 'could not forward an image');
      }
    }
    return [{ type: ActivityTypes.Message, textFormat: 'plain', text: ct('counsellor.fromStudentFile', { label: handoff.label, type }) }];
  }


  /** A short, PII-redacted summary of the conversation so far, for the counsellor's card. */
  private async summarise(info: TurnInfo): Promise<string> {
    const lines = (info.recent ?? []).slice(-RECENT_MESSAGES).map((l) => stripUnsafeCharacters(capText(l, 280).text));
    if (lines.length === 0) return '';
    const redacted = await this.deps.redactor.redact(lines, info.lang);
    return redacted.map((l) => `• ${l}`).join('\n');
  }

  // ---- counsellor side ---------------------------------------------------------------------------

  /** Claim, hand back or close, from a card button or a typed command in the thread. */
  async act(action: HandoffAction, handoffId: string, counsellor: { id: string; name: string }): Promise<ActionOutcome> {
    // The id comes from a card's data; anything but a uuid would make the database query fail.
    if (!UUID.test(handoffId)) return { ok: false, reason: 'notFound' };
    const handoff = await this.deps.store.get(handoffId);
    if (!handoff) return { ok: false, reason: 'notFound' };
    switch (action) {
      case 'claim': {
        const claimed = await this.deps.store.claim(handoffId, counsellor.id, counsellor.name);
        if (!claimed) {
          const current = await this.deps.store.get(handoffId);
          return { ok: false, reason: current?.state === 'closed' ? 'closed' : 'alreadyClaimed', handoff: current };
        }
        this.deps.logger.info({ event: 'handoff_claimed', handoff: handoffId }, 'counsellor claimed a handoff');
        await this.updateCard(handoffId);
        await this.tellStudent(claimed, (t) => messageWithChoices(t('handoff.claimed', { name: firstName(counsellor.name) }), [{ value: 'handoff:stop', label: t('handoff.buttons.stop') }]));
        return { ok: true, handoff: claimed };
      }
      case 'handback':
      case 'close': {
        if (handoff.state === 'closed') return { ok: false, reason: 'closed', handoff };
        if (action === 'handback' && handoff.state !== 'claimed') return { ok: false, reason: 'notClaimed', handoff };
        const closed = await this.deps.store.close(handoffId, counsellor.id);
        if (!closed) return { ok: false, reason: 'closed', handoff };
        this.deps.logger.info({ event: `handoff_${action}`, handoff: handoffId }, 'handoff ended by a counsellor');
        await this.updateCard(handoffId);
        if (handoff.state === 'claimed') {
          await this.tellStudent(closed, (t) => satisfactionQuestion(t, action === 'handback' ? 'handoff.handedBack' : 'handoff.closedByCounsellor'));
        } else {
          await this.tellStudent(closed, (t) => messageWithChoices(t('handoff.closedWhileWaiting'), [{ value: 'menu:main', label: t('buttons.menu') }]));
        }
        return { ok: true, handoff: closed };
      }
    }
  }

  /** A counsellor wrote in a handoff thread: relay it to the student (if they own the conversation). */
  async relayToStudent(handoff: Handoff, counsellor: { id: string; name: string }, text: string, attachments: Activity['attachments'] = []): Promise<'sent' | 'notYours' | 'notClaimed' | 'failed'> {
    if (handoff.state !== 'claimed') return 'notClaimed';
    if (handoff.claimedById !== counsellor.id) return 'notYours';
    try {
      await this.tellStudent(
        handoff,
        (t) => ({
          type: ActivityTypes.Message,
          text: t('handoff.fromCounsellor', { name: firstName(counsellor.name), text }),
          attachments: attachments?.filter((a) => a.contentUrl && !a.contentType?.startsWith('text/html')),
          channelData: { origin: { handoffId: handoff.id } },
        }),
        true,
      );
      return 'sent';
    } catch (err) {
      this.deps.logger.warn({ event: 'relay_to_student_failed', handoff: handoff.id, err: (err as Error).message }, 'counsellor message not delivered');
      return 'failed';
    }
  }

  async queueView(t: Translate) {
    const open = await this.deps.store.queue();
    return queueCard(t, open);
  }

  /** Tells waiting students once that it takes longer than hoped (runs every minute). */
  async sweep(): Promise<void> {
    for (const handoff of await this.deps.store.takeTimedOut(this.deps.timeoutMinutes)) {
      this.deps.logger.info({ event: 'handoff_timeout', handoff: handoff.id }, 'nobody claimed the handoff in time');
      await this.tellStudent(handoff, (t) =>
        messageWithChoices(t('handoff.timeout'), [
          { value: 'handoff:wait', label: t('handoff.buttons.wait') },
          { value: 'handoff:leaveMessage', label: t('handoff.buttons.leaveMessage') },
          { value: 'handoff:cancel', label: t('handoff.buttons.cancel') },
        ]),
      ).catch((err: Error) => this.deps.logger.warn({ event: 'handoff_timeout_notice_failed', handoff: handoff.id, err: err.message }, 'could not tell the student'));
    }
  }

  /** A WhatsApp message to a student failed after it was accepted (e.g. the 24-hour window closed). */
  async onDeliveryFailed(failure: DeliveryFailure): Promise<void> {
    const handoffId = (failure.origin as { handoffId?: string } | undefined)?.handoffId;
    const handoff = handoffId ? await this.deps.store.get(handoffId) : undefined;
    if (!handoff) return;
    await this.postNotice(handoff, this.counsellorT(failure.reason === 'window_closed' ? 'counsellor.notices.notDeliveredWindow' : 'counsellor.notices.notDelivered', { label: handoff.label }));
  }

  /** The ReportNotifier: a card with the reference and a non-identifying summary, in a new thread. */
  async reportSubmitted(summary: ReportSummary): Promise<void> {
    const channel = await this.deps.channels.get();
    if (!channel) throw new Error('no counsellor channel set up yet');
    await this.createThread(channel, { type: ActivityTypes.Message, attachments: [reportCard(this.counsellorT, summary)] });
  }

  // ---- Teams plumbing ----------------------------------------------------------------------------

  private async openThread(handoff: Handoff, channel: CounsellorChannel, summary: string): Promise<void> {
    const card = handoffCard(this.counsellorT, handoff, summary);
    const mention = this.counsellorT(handoff.outOfHours ? 'counsellor.newRequestOutOfHours' : 'counsellor.newRequest', { label: handoff.label });
    const { threadId, threadRef } = await this.createThread(channel, { type: ActivityTypes.Message, text: mention, attachments: [card] });
    const rootId = threadId.split(';messageid=')[1] ?? threadId;
    await this.deps.store.setThread(handoff.id, threadId, threadRef, rootId);
  }

  private async createThread(channel: CounsellorChannel, activity: Partial<Activity>): Promise<{ threadId: string; threadRef: Partial<ConversationReference> }> {
    let threadId = '';
    let threadRef: Partial<ConversationReference> = {};
    await this.deps.cloudAdapter.createConversationAsync(
      this.deps.botAppId,
      'msteams',
      channel.serviceUrl,
      undefined as unknown as string, // default audience (the Bot Framework channel service)
      {
        isGroup: true,
        channelData: { channel: { id: channel.channelId }, tenant: { id: channel.tenantId } },
        activity: activity as Activity,
        tenantId: channel.tenantId,
        bot: { id: this.deps.botAppId || 'stagemaatje', name: 'Stagemaatje' },
      } as never,
      async (context) => {
        threadId = context.activity.conversation.id;
        threadRef = TurnContext.getConversationReference(context.activity);
      },
    );
    if (!threadId) throw new Error('Teams did not return a conversation id');
    return { threadId, threadRef };
  }

  /**
   * Runs `work` in a proactive turn and rethrows its error. (A CloudAdapter hands errors in a proactive
   * turn to onTurnError and does not throw them, which would hide an undelivered message.)
   */
  private async proactive(adapter: ProactiveAdapter, reference: Partial<ConversationReference>, work: (context: TurnContext) => Promise<void>): Promise<void> {
    let failure: unknown;
    await adapter.continueConversationAsync(this.deps.botAppId, reference, async (context) => {
      try {
        await work(context);
      } catch (err) {
        failure = err;
      }
    });
    if (failure) throw failure;
  }

  private async postToThread(handoff: Handoff, activities: Partial<Activity>[]): Promise<void> {
    if (!handoff.threadRef || activities.length === 0) return;
    await this.proactive(this.deps.cloudAdapter, handoff.threadRef, async (context) => {
      await context.sendActivities(activities);
    });
  }

  private async postNotice(handoff: Handoff, text: string): Promise<void> {
    await this.postToThread(handoff, [{ type: ActivityTypes.Message, text }]).catch((err: Error) =>
      this.deps.logger.warn({ event: 'handoff_notice_failed', handoff: handoff.id, err: err.message }, 'could not post a notice to Teams'),
    );
  }

  /** Re-renders the request card in place, so everyone in the channel sees who has it. */
  async updateCard(handoffId: string): Promise<void> {
    const handoff = await this.deps.store.get(handoffId);
    if (!handoff?.threadRef || !handoff.cardActivityId) return;
    const summary = await this.deps.store.summary(handoff);
    const activity = {
      type: ActivityTypes.Message,
      id: handoff.cardActivityId,
      text: this.counsellorT('counsellor.newRequest', { label: handoff.label }),
      attachments: [handoffCard(this.counsellorT, handoff, summary)],
    };
    await this.proactive(this.deps.cloudAdapter, handoff.threadRef, async (context) => {
      await context.updateActivity(activity);
    }).catch((err: Error) => this.deps.logger.warn({ event: 'card_update_failed', handoff: handoffId, err: err.message }, 'could not update the card'));
  }

  /** Sends to the student's own chat; throws when it could not be delivered and `strict` is set. */
  private async tellStudent(handoff: Handoff, build: (t: Translate) => Partial<Activity>, strict = false): Promise<void> {
    const ref = handoff.studentRef;
    const adapter = (ref.channelId && this.deps.studentAdapters[ref.channelId]) || this.deps.cloudAdapter;
    const t = translator(isLang(handoff.lang) ? handoff.lang : COUNSELLOR_LANGUAGE);
    try {
      await this.proactive(adapter, ref, async (context) => {
        await context.sendActivity({ locale: handoff.lang, ...build(t) });
      });
    } catch (err) {
      this.deps.logger.warn({ event: 'student_not_reached', handoff: handoff.id, err: (err as Error).message }, 'message to the student not delivered');
      this.deps.metrics?.outboundFailures.inc({ channel: ref.channelId ?? 'unknown' });
      if (strict) throw new StudentNotReachedError((err as Error).message);
    }
  }
}

/** "image/png; charset=x" → "image/png"; anything that is not a plain MIME type → application/octet-stream. */
function mimeType(value: string | undefined): string {
  const type = (value ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][\w.+-]{0,63}\/[a-z0-9][\w.+-]{0,127}$/.test(type) ? type : 'application/octet-stream';
}

export function firstName(name: string | undefined): string {
  return (name ?? '').trim().split(/\s+/)[0] || '';
}

function satisfactionQuestion(t: Translate, introKey: string): Partial<Activity> {
  return messageWithChoices(`${t(introKey)}\n\n${t('handoff.satisfactionQuestion')}`, [
    { value: 'satisfaction:good', label: t('handoff.buttons.good') },
    { value: 'satisfaction:ok', label: t('handoff.buttons.ok') },
    { value: 'satisfaction:bad', label: t('handoff.buttons.bad') },
  ]);
}

function formatWhen(date: Date, lang: Lang): string {
  return date.toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB', { timeZone: 'Europe/Amsterdam', weekday: 'long', hour: '2-digit', minute: '2-digit' });
}
