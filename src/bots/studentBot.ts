/**
 * The bot students talk to, on every channel but Teams (WhatsApp, Web Chat, the Emulator, the
 * terminal chat). Per turn it: normalises the message, works out the language, applies the
 * per-student rate limit, lets a counsellor conversation take the message if one is active, and
 * otherwise runs the dialogs. TurnRunner wraps the turn (ordering, held replies, optimistic saves).
 */
import {
  ActivityHandler,
  ActivityTypes,
  type ConversationState,
  type StatePropertyAccessor,
  type Storage,
  type TurnContext,
  type UserState,
} from 'botbuilder';
import { DialogSet, DialogTurnStatus, type DialogState } from 'botbuilder-dialogs';
import { MAIN_DIALOG, type BeginMainOptions, type MainDialog } from '../../dialogs/mainDialog';
import { recognizeCommand } from '../../dialogs/commands';
import { setTurnInfo, turnInfo, type Choice, type Subject, type TurnInfo } from '../../dialogs/turn';
import { capText, keywordForm, normalizeInbound } from '../text/normalize';
import { withoutEchoedText } from '../text/redact';
import { chooseLanguage, type LanguageDetector } from '../i18n/languageDetection';
import { DEFAULT_LANGUAGE, isLang, translator, type Lang } from '../i18n/i18n';
import type { Logger } from '../logger';
import type { RateLimiter } from './rateLimiter';
import { TurnRunner } from './turnRunner';
import { loadStatesTogether } from '../storage/stateLoading';
import type { StateKeyRegistry } from '../privacy/subjectEraser';

/** How many of the student's recent messages are kept for a counsellor's summary. */
export const RECENT_MESSAGES = 5;

/** Longest message we keep; longer ones are cut on a character boundary and the student is told. */
export const MAX_MESSAGE_CHARS = 4000;

export interface UserProfile {
  lang?: Lang;
  welcomed?: boolean;
}

/** Takes a student's message while a counsellor owns the conversation (src/handoff). */
export interface StudentRelay {
  /** Returns true when the message was handled (relayed, or a handoff command) and dialogs must not run. */
  handleStudentMessage(context: TurnContext, info: TurnInfo): Promise<boolean>;
}

export interface StudentBotDeps {
  conversationState: ConversationState;
  userState: UserState;
  /** The storage behind both states (read once per turn for both). */
  storage: Storage;
  mainDialog: MainDialog;
  languageDetector: LanguageDetector;
  /** Pseudonymous subject id for a channel user. */
  subjectId: (channelId: string, userId: string) => string;
  logger: Logger;
  rateLimiter?: RateLimiter;
  relay?: StudentRelay;
  /** Remembers which state rows belong to which student, for erasure. */
  stateKeys?: StateKeyRegistry;
  /** Runs after a turn's logic, before its state is saved (tests: src/testHooks.ts). */
  beforeStateSave?: (context: TurnContext) => Promise<void>;
}

export class StudentBot extends ActivityHandler {
  private readonly dialogs: DialogSet;
  private readonly dialogState: StatePropertyAccessor<DialogState>;
  private readonly offered: StatePropertyAccessor<Choice[]>;
  private readonly recent: StatePropertyAccessor<string[]>;
  private readonly handoffOpen: StatePropertyAccessor<boolean>;
  private readonly profile: StatePropertyAccessor<UserProfile>;
  private readonly runner: TurnRunner;

  constructor(private readonly deps: StudentBotDeps) {
    super();
    this.dialogState = deps.conversationState.createProperty<DialogState>('dialogState');
    this.offered = deps.conversationState.createProperty<Choice[]>('offered');
    this.recent = deps.conversationState.createProperty<string[]>('recent');
    this.handoffOpen = deps.conversationState.createProperty<boolean>('handoffOpen');
    this.profile = deps.userState.createProperty<UserProfile>('profile');
    this.dialogs = new DialogSet(this.dialogState);
    this.dialogs.add(deps.mainDialog);
    this.runner = new TurnRunner(
      deps.conversationState,
      deps.userState,
      (context) => loadStatesTogether(deps.storage, context, [deps.conversationState, deps.userState]),
      deps.logger,
      deps.beforeStateSave,
    );

    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      // Web Chat and the Emulator announce a new conversation; greet the student once.
      const joined = (context.activity.membersAdded ?? []).some((m) => m.id !== context.activity.recipient?.id);
      if (joined) await this.greet(context);
      await next();
    });
  }

  override async run(context: TurnContext): Promise<void> {
    try {
      await this.runner.run(context, (ctx) => super.run(ctx));
    } catch (err) {
      // The error is logged next (onTurnError, the WhatsApp processor): without what the student typed.
      const typed = context.activity.text;
      throw withoutEchoedText(err, [typed, normalizeInbound(typed, MAX_MESSAGE_CHARS).text]);
    }
  }

  subject(context: TurnContext): Subject {
    const { channelId, conversation, from } = context.activity;
    const userId = from?.id ?? conversation?.id ?? 'unknown';
    return {
      id: this.deps.subjectId(channelId, userId),
      channelId,
      conversationId: conversation?.id ?? '',
      userId,
    };
  }

  private async greet(context: TurnContext): Promise<void> {
    const profile = await this.profile.get(context, {});
    if (profile.welcomed) return;
    const newConversation = !(await this.deps.conversationState.load(context)).eTag;
    const info = await this.prepareTurn(context, profile);
    await this.runDialogs(context, info, profile);
    if (newConversation) await this.recordStateKeys(context, info.subject.id);
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const profile = await this.profile.get(context, {});
    const subject = this.subject(context);
    if (this.deps.rateLimiter) {
      const verdict = this.deps.rateLimiter.take(subject.id);
      if (verdict === 'warn') {
        const t = translator(profile.lang ?? DEFAULT_LANGUAGE);
        await context.sendActivity(t('rateLimit.slowDown'));
      }
      if (verdict !== 'allow') {
        this.deps.logger.warn({ event: 'rate_limited', subject: subject.id }, 'student is sending too fast');
        return;
      }
    }
    const info = await this.prepareTurn(context, profile);
    this.deps.logger.info(
      { event: 'student_message', subject: subject.id, channel: subject.channelId, lang: info.lang, chars: info.text.length, attachments: info.attachments.length, choice: info.choice !== undefined },
      'student message',
    );
    if (info.truncated) await context.sendActivity(info.t('input.truncated'));
    const newConversation = !(await this.deps.conversationState.load(context)).eTag;
    if (this.deps.relay && (await this.deps.relay.handleStudentMessage(context, info))) {
      profile.lang = info.lang;
    } else {
      await this.runDialogs(context, info, profile);
    }
    await this.handoffOpen.set(context, info.handoffOpen);
    if (newConversation || info.erased) await this.recordStateKeys(context, subject.id);
  }

  private async runDialogs(context: TurnContext, info: TurnInfo, profile: UserProfile): Promise<void> {
    info.offered = [];
    const dc = await this.dialogs.createContext(context);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) {
      const options: BeginMainOptions = { welcome: !profile.welcomed };
      await dc.beginDialog(MAIN_DIALOG, options);
    }
    profile.welcomed = true;
    profile.lang = info.lang;
    // Remember this turn's buttons so "2" or a typed label means that button next time.
    if (info.offered.length > 0) await this.offered.set(context, info.offered);
    // And the last few things the student typed, for a counsellor's summary (encrypted like all state).
    if (info.text && !info.choice && !info.erased) await this.recent.set(context, [...(info.recent ?? []), capText(info.text, 280).text].slice(-RECENT_MESSAGES));
  }

  private async recordStateKeys(context: TurnContext, subjectId: string): Promise<void> {
    if (!this.deps.stateKeys) return;
    const keys = [this.deps.conversationState.getStorageKey(context), this.deps.userState.getStorageKey(context)].filter((k): k is string => Boolean(k));
    await this.deps.stateKeys.record(subjectId, keys);
  }

  /** Normalises the message, resolves the pressed button and decides the language. */
  private async prepareTurn(context: TurnContext, profile: UserProfile): Promise<TurnInfo> {
    const activity = context.activity;
    const { text, truncated } = normalizeInbound(activity.type === ActivityTypes.Message ? activity.text : '', MAX_MESSAGE_CHARS);
    const offered = (await this.offered.get(context, [])) ?? [];
    const choice = resolveChoice(activity.value, text, offered);

    let lang: Lang = isLang(profile.lang) ? profile.lang : DEFAULT_LANGUAGE;
    const command = choice ? undefined : recognizeCommand(text);
    if (command?.kind === 'language') {
      lang = command.lang;
    } else if (!choice && text) {
      const guess = await this.deps.languageDetector.detect(text);
      lang = chooseLanguage(isLang(profile.lang) ? profile.lang : undefined, text, guess, DEFAULT_LANGUAGE);
    }
    const info: TurnInfo = {
      lang,
      t: translator(lang),
      text,
      choice,
      attachments: (activity.attachments ?? []).filter((a) => !a.contentType?.startsWith('application/vnd.microsoft.card')),
      subject: this.subject(context),
      truncated,
      offered: [],
      recent: (await this.recent.get(context, [])) ?? [],
      handoffOpen: (await this.handoffOpen.get(context, false)) ?? false,
    };
    setTurnInfo(context, info);
    // Channels that add words of their own (WhatsApp's list button, template language) need the student's language.
    context.onSendActivities(async (ctx, activities, next) => {
      for (const activity of activities) activity.locale ??= turnInfo(ctx).lang;
      return next();
    });
    return info;
  }
}

/** The button a message stands for: a pressed button's value, its number, or its typed label. */
export function resolveChoice(value: unknown, text: string, offered: Choice[]): string | undefined {
  const fromValue = (value as { choice?: unknown } | undefined)?.choice;
  if (typeof fromValue === 'string' && fromValue.length > 0) return fromValue;
  if (!text) return undefined;
  if (offered.some((c) => c.value === text)) return text;
  if (/^[a-z]+:[\w:.-]+$/i.test(text) && !/\s/.test(text)) return text;
  const number = /^(\d{1,2})[.)]?$/.exec(text.trim());
  if (number) {
    const picked = offered[Number(number[1]) - 1];
    if (picked) return picked.value;
  }
  const form = keywordForm(text);
  return offered.find((c) => keywordForm(c.label) === form)?.value;
}
