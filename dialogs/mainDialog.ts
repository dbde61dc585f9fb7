/**
 * The root of every student conversation. It never ends: it greets, answers handbook questions,
 * starts the flows (report, my reports, erase data, talk to a person) and handles what works at
 * every prompt, before the active flow sees the message:
 * crisis words → crisis lines at once, then the flow goes on;
 * a language switch → the current question again, in the new language;
 * help → explains the current question; menu/stop → the flow keeps what was typed, then pauses;
 * "talk to a person" → handoff.
 */
import type { TurnContext } from 'botbuilder';
import { ComponentDialog, Dialog, DialogTurnStatus, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import type { Answerer } from '../src/handbook/answerer';
import type { Handbook } from '../src/handbook/content';
import { detectCrisis, detectDistress, isGreeting, recognizeCommand, type CrisisKind, type GlobalCommand } from './commands';
import { isFlowDialog, type FlowDialog } from './flowDialog';
import { sendAnswer, sendAnswerResult, sendRelated, sendSections, sendSectionTopics } from './qna';
import { choice, say } from './ui';
import { switchTurnLanguage, turnInfo, type Choice } from './turn';
import { isLang } from '../src/i18n/i18n';
import type { HandoffReason } from '../src/handoff/handoffStore';

export const MAIN_DIALOG = 'main';
export const REPORT_DIALOG = 'report';
export const MY_REPORTS_DIALOG = 'myReports';
export const ERASE_DIALOG = 'eraseData';

export type { HandoffReason };

/** What the main dialog needs from the handoff feature (src/handoff). */
export interface HandoffStarter {
  /** Starts (or reports on) a handoff for this student and tells them what happens next. */
  requestHandoff(context: TurnContext, reason: HandoffReason, reportRef?: string): Promise<void>;
}

/** What the main dialog needs to know about the student's report drafts (src/reports). */
export interface DraftLookup {
  hasOpenDraft(subjectId: string): Promise<boolean>;
}

export interface MainDialogDeps {
  handbook: Handbook;
  answerer: Answerer;
  flows: FlowDialog[];
  handoff?: HandoffStarter;
  drafts?: DraftLookup;
}

export interface BeginMainOptions {
  /** First contact ever (or after the state expired): greet before anything else. */
  welcome?: boolean;
}

interface MainState {
  /** Handbook questions in a row the bot could not answer. */
  misses: number;
  /** Whether the bot already offered a person for distress in this conversation. */
  offeredPersonForDistress?: boolean;
}

const MAIN_STATE = 'stagemaatje.main';

export class MainDialog extends ComponentDialog {
  constructor(private readonly deps: MainDialogDeps) {
    super(MAIN_DIALOG);
    for (const flow of deps.flows) this.addDialog(flow);
  }

  private mainState(innerDc: DialogContext): MainState {
    const outer = innerDc.parent?.activeDialog?.state as Record<string, unknown> | undefined;
    if (!outer) return { misses: 0 };
    const existing = outer[MAIN_STATE] as MainState | undefined;
    if (existing) return existing;
    const created: MainState = { misses: 0 };
    outer[MAIN_STATE] = created;
    return created;
  }

  protected override async onBeginDialog(innerDc: DialogContext, options?: BeginMainOptions): Promise<DialogTurnResult> {
    const info = turnInfo(innerDc.context);
    const hasInput = info.text.length > 0 || info.choice !== undefined || info.attachments.length > 0;
    if (options?.welcome) {
      await this.sendWelcome(innerDc);
      const greetingOnly = !hasInput || recognizeCommand(info.text)?.kind === 'menu' || isGreeting(info.text);
      if (greetingOnly) return Dialog.EndOfTurn;
    }
    if (hasInput) return this.onContinueDialog(innerDc);
    return Dialog.EndOfTurn;
  }

  protected override async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    const context = innerDc.context;
    const info = turnInfo(context);
    const flow = this.activeFlow(innerDc);

    const crisis = info.choice ? undefined : detectCrisis(info.text);
    if (crisis) {
      await sendCrisisLines(context, this.deps.handbook, crisis);
      // A long description that mentions a threat is still the answer to a free-text question.
      if (flow && flow.expectsFreeText(innerDc) && info.text.length >= 60) {
        await innerDc.continueDialog();
      } else if (flow) {
        await innerDc.repromptDialog();
      }
      return Dialog.EndOfTurn;
    }

    const command = commandFromChoice(info.choice) ?? (info.choice ? undefined : recognizeCommand(info.text));
    if (command && (await this.handleCommand(innerDc, command, flow))) return Dialog.EndOfTurn;

    if (flow) {
      const result = await innerDc.continueDialog();
      if (result.status === DialogTurnStatus.complete || result.status === DialogTurnStatus.cancelled) {
        await this.afterFlow(innerDc, result.result);
      }
      return Dialog.EndOfTurn;
    }
    await this.handleIdle(innerDc);
    return Dialog.EndOfTurn;
  }

  private activeFlow(innerDc: DialogContext): FlowDialog | undefined {
    const id = innerDc.activeDialog?.id;
    const dialog = id ? this.findDialog(id) : undefined;
    return isFlowDialog(dialog) ? dialog : undefined;
  }

  /** Returns true when the command was handled and the turn is done. */
  private async handleCommand(innerDc: DialogContext, command: GlobalCommand, flow: FlowDialog | undefined): Promise<boolean> {
    const context = innerDc.context;
    const { t } = turnInfo(context);
    switch (command.kind) {
      case 'language':
        switchTurnLanguage(context, command.lang);
        await say(context, turnInfo(context).t('language.switched'));
        if (flow) await innerDc.repromptDialog();
        else await this.sendMenu(innerDc, 'menu.prompt');
        return true;
      case 'help':
        if (flow) await flow.help(innerDc);
        else await say(context, t('help.general'), this.menuChoices(innerDc));
        return true;
      case 'menu':
        if (flow) await this.pauseFlow(innerDc, flow);
        await this.sendMenu(innerDc, 'menu.prompt');
        return true;
      case 'stop':
        if (flow) {
          await this.pauseFlow(innerDc, flow);
        } else {
          await say(context, t('stop.idle'));
        }
        return true;
      case 'human':
        if (flow) await this.pauseFlow(innerDc, flow, false);
        await this.startHandoff(innerDc, 'asked');
        return true;
      case 'continue':
        if (flow) await innerDc.repromptDialog();
        else await this.sendMenu(innerDc, 'menu.prompt');
        return true;
      case 'stopHuman':
        // Only meaningful while a counsellor owns the chat (handled before the dialogs run).
        return false;
      case 'eraseData':
        if (flow) await this.pauseFlow(innerDc, flow, false);
        await this.beginFlow(innerDc, ERASE_DIALOG, {});
        return true;
      case 'status':
        if (flow) await this.pauseFlow(innerDc, flow, false);
        await this.beginFlow(innerDc, MY_REPORTS_DIALOG, { ref: command.ref });
        return true;
      case 'report':
      case 'resume':
        if (flow?.id === REPORT_DIALOG) {
          await innerDc.repromptDialog();
          return true;
        }
        if (flow) await this.pauseFlow(innerDc, flow, false);
        if (command.kind === 'resume' && this.deps.drafts && !(await this.deps.drafts.hasOpenDraft(turnInfo(context).subject.id))) {
          await say(context, t('report.noDraft'), [choice(context, 'menu:report', 'buttons.report'), choice(context, 'menu:main', 'buttons.menu')]);
          return true;
        }
        await this.beginFlow(innerDc, REPORT_DIALOG, { resume: command.kind === 'resume' });
        return true;
    }
  }

  private async pauseFlow(innerDc: DialogContext, flow: FlowDialog, announce = true): Promise<void> {
    await flow.pause(innerDc);
    await innerDc.cancelAllDialogs();
    if (!announce) return;
    const { t } = turnInfo(innerDc.context);
    if (flow.id === REPORT_DIALOG) {
      await say(innerDc.context, t('report.paused'), [choice(innerDc.context, 'cmd:resume', 'buttons.resumeReport'), choice(innerDc.context, 'menu:main', 'buttons.menu')]);
    }
  }

  private async beginFlow(innerDc: DialogContext, id: string, options: object): Promise<void> {
    if (!this.findDialog(id)) {
      await say(innerDc.context, turnInfo(innerDc.context).t('comingSoon'), this.menuChoices(innerDc));
      return;
    }
    const result = await innerDc.beginDialog(id, options);
    if (result.status === DialogTurnStatus.complete || result.status === DialogTurnStatus.cancelled) {
      await this.afterFlow(innerDc, result.result);
    }
  }

  /** A flow finished; it may ask for a follow-up (e.g. a person after a report). */
  private async afterFlow(innerDc: DialogContext, result: unknown): Promise<void> {
    const followUp = result as { handoff?: HandoffReason; reportRef?: string } | undefined;
    if (followUp?.handoff) await this.startHandoff(innerDc, followUp.handoff, followUp.reportRef);
  }

  private async startHandoff(innerDc: DialogContext, reason: HandoffReason, reportRef?: string): Promise<void> {
    if (!this.deps.handoff) {
      await say(innerDc.context, turnInfo(innerDc.context).t('handoff.unavailable'), this.menuChoices(innerDc));
      return;
    }
    await this.deps.handoff.requestHandoff(innerDc.context, reason, reportRef);
  }

  private async handleIdle(innerDc: DialogContext): Promise<void> {
    const context = innerDc.context;
    const info = turnInfo(context);
    const { handbook } = this.deps;
    const [kind, arg] = splitChoice(info.choice);

    switch (kind) {
      case 'menu':
        return this.handleMenuChoice(innerDc, arg ?? 'main');
      case 'topic': {
        const entry = arg ? handbook.byId(info.lang, arg) : undefined;
        if (entry) {
          this.mainState(innerDc).misses = 0;
          return sendAnswer(context, handbook, entry);
        }
        return sendSections(context, handbook);
      }
      case 'related':
        return sendRelated(context, handbook, arg ?? '');
      case 'section':
        return sendSectionTopics(context, handbook, arg ?? '');
      case 'qna':
        return this.sendNotFound(innerDc);
      case 'lang':
        if (isLang(arg)) {
          switchTurnLanguage(context, arg);
          await say(context, turnInfo(context).t('language.switched'));
          return this.sendMenu(innerDc, 'menu.prompt');
        }
        break;
      case 'human': {
        // A person offered by the bot: human:lowConfidence, human:distress, human:afterReport:<ref>
        const [reason, ref] = (arg ?? '').split(':');
        const reasons: HandoffReason[] = ['lowConfidence', 'distress', 'afterReport'];
        return this.startHandoff(innerDc, reasons.includes(reason as HandoffReason) ? (reason as HandoffReason) : 'asked', ref);
      }
      case 'report':
        // A stray "send" tap after the report dialog already finished.
        if (arg === 'submit') return say(context, info.t('report.alreadySent'), this.menuChoices(innerDc));
        break;
      default:
        break;
    }

    if (!info.text) {
      // An image, sticker, location or voice note outside any question.
      await say(context, info.t('input.noText'), this.menuChoices(innerDc));
      return;
    }
    if (isGreeting(info.text)) return this.sendMenu(innerDc, 'menu.greeting');

    const state = this.mainState(innerDc);
    const result = this.deps.answerer.answer(info.text, info.lang);
    const distressed = detectDistress(info.text);
    const offerPerson = result.kind === 'none' && state.misses >= 1;
    const answered = await sendAnswerResult(context, handbook, result, offerPerson);
    state.misses = answered ? 0 : state.misses + 1;
    if (distressed && !state.offeredPersonForDistress) {
      state.offeredPersonForDistress = true;
      await say(context, info.t('distress.offer'), [choice(context, 'human:distress', 'buttons.human'), choice(context, 'menu:main', 'buttons.menu')]);
    }
  }

  private async handleMenuChoice(innerDc: DialogContext, item: string): Promise<void> {
    const context = innerDc.context;
    const { t, lang } = turnInfo(context);
    switch (item) {
      case 'ask':
        return say(context, t('menu.askPrompt'), [choice(context, 'menu:topics', 'buttons.topics')]);
      case 'topics':
        return sendSections(context, this.deps.handbook);
      case 'report':
        return this.beginFlow(innerDc, REPORT_DIALOG, {});
      case 'myReports':
        return this.beginFlow(innerDc, MY_REPORTS_DIALOG, {});
      case 'human':
        return this.startHandoff(innerDc, 'asked');
      case 'privacy': {
        const entry = this.deps.handbook.byId(lang, 'privacy-data');
        if (entry) return sendAnswer(context, this.deps.handbook, entry);
        return this.sendMenu(innerDc, 'menu.prompt');
      }
      default:
        return this.sendMenu(innerDc, 'menu.prompt');
    }
  }

  private async sendNotFound(innerDc: DialogContext): Promise<void> {
    const { t } = turnInfo(innerDc.context);
    await say(innerDc.context, t('qna.rephrase'), [
      choice(innerDc.context, 'menu:topics', 'buttons.topics'),
      choice(innerDc.context, 'menu:human', 'buttons.human'),
    ]);
  }

  private menuChoices(innerDc: DialogContext): Choice[] {
    const context = innerDc.context;
    return [
      choice(context, 'menu:ask', 'menu.items.ask', 'menu.items.askDescription'),
      choice(context, 'menu:report', 'menu.items.report', 'menu.items.reportDescription'),
      choice(context, 'menu:human', 'menu.items.human', 'menu.items.humanDescription'),
      choice(context, 'menu:myReports', 'menu.items.myReports', 'menu.items.myReportsDescription'),
      choice(context, 'menu:privacy', 'menu.items.privacy', 'menu.items.privacyDescription'),
    ];
  }

  private async sendMenu(innerDc: DialogContext, introKey: string): Promise<void> {
    const context = innerDc.context;
    const info = turnInfo(context);
    const choices = this.menuChoices(innerDc);
    if (this.deps.drafts && (await this.deps.drafts.hasOpenDraft(info.subject.id))) {
      choices.unshift(choice(context, 'cmd:resume', 'buttons.resumeReport'));
    }
    await say(context, info.t(introKey), choices);
  }

  private async sendWelcome(innerDc: DialogContext): Promise<void> {
    const context = innerDc.context;
    const info = turnInfo(context);
    const other = info.lang === 'nl' ? 'en' : 'nl';
    const choices = this.menuChoices(innerDc);
    if (this.deps.drafts && (await this.deps.drafts.hasOpenDraft(info.subject.id))) {
      choices.unshift(choice(context, 'cmd:resume', 'buttons.resumeReport'));
    }
    choices.push({ value: `lang:${other}`, label: info.t(`language.switchTo.${other}`) });
    await say(context, [info.t('welcome.intro'), info.t('welcome.privacy'), info.t('welcome.menu')], choices);
  }
}

export async function sendCrisisLines(context: TurnContext, handbook: Handbook, kind: CrisisKind): Promise<void> {
  const { t } = turnInfo(context);
  await say(context, [t(`crisis.${kind}`, handbook.crisisNumbers), t('crisis.after')], [
    choice(context, 'menu:human', 'buttons.human'),
    choice(context, 'cmd:continue', 'buttons.continue'),
  ]);
}

function splitChoice(value: string | undefined): [string | undefined, string | undefined] {
  if (!value) return [undefined, undefined];
  const at = value.indexOf(':');
  return at < 0 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}

/** Button values that act like typed commands. */
function commandFromChoice(value: string | undefined): GlobalCommand | undefined {
  switch (value) {
    case 'cmd:resume':
      return { kind: 'resume' };
    case 'cmd:menu':
    case 'menu:main':
      return { kind: 'menu' };
    case 'cmd:help':
      return { kind: 'help' };
    case 'cmd:stopHuman':
      return { kind: 'stopHuman' };
    case 'cmd:continue':
      return { kind: 'continue' };
    default:
      return undefined;
  }
}
