/**
 * The bot counsellors meet in their Microsoft Teams channel. It holds no state of its own:
 * handoffs live in the database (src/handoff), so any instance can serve any counsellor.
 *
 * In a handoff thread: card buttons (claim / hand back / close, by their machine name), the same as
 * typed commands, and every other message is relayed to the student, unless it starts with "//"
 * (a private note). In the channel: "setup" makes this the counsellors' channel, "wachtrij"/"queue"
 * lists who is waiting, "help" explains. Anything from outside the counsellors' channel (or tenant)
 * is refused and logged.
 */
import {
  ActivityTypes,
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
} from 'botbuilder';
import type { Logger } from '../logger';
import { i18n, SUPPORTED_LANGUAGES, translator, type Lang, type Translate } from '../i18n/i18n';
import { keywordForm, normalizeInbound } from '../text/normalize';
import { handoffCard, HANDOFF_ACTIONS, type HandoffAction } from '../handoff/cards';
import { channelOf, tenantOf, type CounsellorChannelRegistry } from '../handoff/counsellorChannel';
import { COUNSELLOR_LANGUAGE, firstName, type ActionOutcome, type HandoffService } from '../handoff/handoffService';
import type { HandoffStore } from '../handoff/handoffStore';

type CounsellorCommand = HandoffAction | 'setup' | 'queue' | 'help';

export interface CounsellorBotDeps {
  handoff: HandoffService;
  store: HandoffStore;
  channels: CounsellorChannelRegistry;
  logger: Logger;
}

function languageOf(context: TurnContext): Lang {
  const locale = (context.activity.locale ?? '').slice(0, 2).toLowerCase();
  return (SUPPORTED_LANGUAGES as readonly string[]).includes(locale) ? (locale as Lang) : COUNSELLOR_LANGUAGE;
}

let commandPhrases: Map<string, CounsellorCommand> | undefined;
function recognizeCounsellorCommand(text: string): CounsellorCommand | undefined {
  if (!commandPhrases) {
    commandPhrases = new Map();
    for (const lang of SUPPORTED_LANGUAGES) {
      for (const command of [...HANDOFF_ACTIONS, 'setup', 'queue', 'help'] as CounsellorCommand[]) {
        const list = i18n().t(`counsellor.commands.${command}`, { lng: lang, returnObjects: true }) as unknown;
        if (Array.isArray(list)) for (const p of list) commandPhrases.set(keywordForm(String(p)), command);
      }
    }
  }
  return commandPhrases.get(keywordForm(text));
}

export class CounsellorBot extends TeamsActivityHandler {
  constructor(private readonly deps: CounsellorBotDeps) {
    super();
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
    this.onInstallationUpdateAdd(async (context, next) => {
      await this.introduce(context);
      await next();
    });
    this.onTeamsMembersAddedEvent(async (membersAdded, _teamInfo, context, next) => {
      if (membersAdded.some((m) => m.id === context.activity.recipient?.id)) await this.introduce(context);
      await next();
    });
  }

  private counsellor(context: TurnContext): { id: string; name: string } {
    const from = context.activity.from;
    return { id: from?.aadObjectId ?? from?.id ?? 'unknown', name: from?.name ?? '' };
  }

  private async introduce(context: TurnContext): Promise<void> {
    const t = translator(languageOf(context));
    const channel = await this.deps.channels.get();
    await context.sendActivity(t(channel ? 'counsellor.installed' : 'counsellor.installedNeedsSetup'));
  }

  /** True when the activity may act on handoffs; otherwise it is refused (and logged). */
  private async authorised(context: TurnContext, t: Translate): Promise<boolean> {
    if (await this.deps.channels.isCounsellorChannel(context.activity)) return true;
    this.deps.logger.warn(
      { event: 'counsellor_action_refused', channel: channelOf(context.activity), tenant: tenantOf(context.activity), conversationType: context.activity.conversation?.conversationType },
      'a Teams activity from outside the counsellors channel was refused',
    );
    await context.sendActivity(t('counsellor.notAuthorised'));
    return false;
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const t = translator(languageOf(context));
    const activity = context.activity;
    const submitted = activity.value as { action?: unknown; handoffId?: unknown } | undefined;
    if (typeof submitted?.action === 'string') {
      if (!(await this.authorised(context, t))) return;
      if (!HANDOFF_ACTIONS.includes(submitted.action as HandoffAction) || typeof submitted.handoffId !== 'string') return;
      const outcome = await this.deps.handoff.act(submitted.action as HandoffAction, submitted.handoffId, this.counsellor(context));
      await this.replyToOutcome(context, t, submitted.action as HandoffAction, outcome);
      return;
    }

    const mentioned = (activity.entities ?? []).some((e) => e.type === 'mention' && (e as { mentioned?: { id?: string } }).mentioned?.id === activity.recipient?.id);
    const raw = mentioned ? TurnContext.removeRecipientMention(activity) : activity.text;
    const { text } = normalizeInbound(raw, 4000);
    const command = recognizeCounsellorCommand(text);

    if (command === 'setup') return this.setup(context, t);
    if (command === 'help') {
      await context.sendActivity(t('counsellor.help'));
      return;
    }
    const threadId = activity.conversation?.id ?? '';
    const handoff = threadId.includes(';messageid=') ? await this.deps.store.byThread(threadId) : undefined;
    if (!handoff && !mentioned && !command) return; // ordinary channel chatter: not for the bot
    if (!(await this.authorised(context, t))) return;

    if (command === 'queue') {
      await context.sendActivity({ type: ActivityTypes.Message, attachments: [await this.deps.handoff.queueView(t)] });
      return;
    }
    if (!handoff) {
      await context.sendActivity(t('counsellor.help'));
      return;
    }
    if (command && HANDOFF_ACTIONS.includes(command as HandoffAction)) {
      const outcome = await this.deps.handoff.act(command as HandoffAction, handoff.id, this.counsellor(context));
      await this.replyToOutcome(context, t, command as HandoffAction, outcome);
      return;
    }
    if (text.startsWith('//')) return; // a private note between counsellors
    const files = (activity.attachments ?? []).filter((a) => !a.contentType?.startsWith('text/html'));
    if (!text && files.length === 0) return;
    const result = await this.deps.handoff.relayToStudent(handoff, this.counsellor(context), text, files);
    if (result === 'notClaimed') await context.sendActivity(t('counsellor.claimFirst'));
    if (result === 'notYours') await context.sendActivity(t('counsellor.notYours', { name: firstName(handoff.claimedByName) }));
    if (result === 'failed') await context.sendActivity(t('counsellor.notices.notDelivered', { label: handoff.label }));
  }

  private async setup(context: TurnContext, t: Translate): Promise<void> {
    const result = await this.deps.channels.setUp(context.activity);
    if (result.ok) {
      this.deps.logger.info({ event: 'counsellor_channel_set_up', channel: result.channel.channelId }, 'counsellor channel set up from Teams');
      await context.sendActivity(t('counsellor.setup.done'));
    } else {
      this.deps.logger.warn({ event: 'counsellor_setup_refused', reason: result.reason }, 'setup command refused');
      await context.sendActivity(t(`counsellor.setup.${result.reason}`));
    }
  }

  private async replyToOutcome(context: TurnContext, t: Translate, action: HandoffAction, outcome: ActionOutcome): Promise<void> {
    if (outcome.ok) {
      await context.sendActivity(t(`counsellor.done.${action}`, { label: outcome.handoff.label, name: firstName(outcome.handoff.claimedByName) }));
      return;
    }
    await context.sendActivity(t(`counsellor.failed.${outcome.reason}`, { name: firstName(outcome.handoff?.claimedByName) }));
  }

  /** Universal Actions (Action.Execute): the verb is the machine name; answer with the updated card. */
  protected override async onAdaptiveCardInvoke(context: TurnContext, invokeValue: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const t = translator(languageOf(context));
    const verb = invokeValue.action?.verb as HandoffAction | undefined;
    const handoffId = (invokeValue.action?.data as { handoffId?: string } | undefined)?.handoffId;
    if (!(await this.deps.channels.isCounsellorChannel(context.activity))) {
      this.deps.logger.warn({ event: 'counsellor_action_refused', via: 'invoke' }, 'card action from outside the counsellors channel refused');
      return { statusCode: 403, type: 'application/vnd.microsoft.error', value: { code: 'Forbidden', message: t('counsellor.notAuthorised') } as never };
    }
    if (!verb || !HANDOFF_ACTIONS.includes(verb) || !handoffId) {
      return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: 'unknown action' } as never };
    }
    const outcome = await this.deps.handoff.act(verb, handoffId, this.counsellor(context));
    const handoff = outcome.handoff ?? (await this.deps.store.get(handoffId));
    if (!handoff) return { statusCode: 404, type: 'application/vnd.microsoft.error', value: { code: 'NotFound', message: 'unknown handoff' } as never };
    const card = handoffCard(t, handoff, await this.deps.store.summary(handoff));
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card.content as never };
  }
}
