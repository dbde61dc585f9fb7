/**
 * Filing a report, step by step (the heart of the product).
 *
 * The answers live in an encrypted draft in the database, saved after every answer; the dialog
 * state only holds the draft id and the current step. So a student can stop at any prompt and
 * continue days later (even after a restart or on another bot instance), and nothing they typed
 * is lost when an answer is invalid: the same question comes again with a kind explanation.
 *
 * Flow: short framing → questions (fields.ts) → summary, where any answer can be changed →
 * submit (idempotent per draft) → reference number and what happens next.
 */
import crypto from 'node:crypto';
import type { Attachment, TurnContext } from 'botbuilder';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import type { Logger } from '../../src/logger';
import type { ReportStore } from '../../src/reports/reportStore';
import type { Draft } from '../../src/reports/model';
import { FileTooLargeError, isEvidenceFile, type MediaFetcher } from '../../src/channels/media';
import { FlowDialog } from '../flowDialog';
import { REPORT_DIALOG } from '../mainDialog';
import { choice, say } from '../ui';
import { turnInfo, type Choice } from '../turn';
import { EDITABLE_FIELDS, FIELD_IDS, field, nextField, type FieldId } from './fields';

type Step = FieldId | 'summary' | 'editPick' | 'resumeOffer';

interface ReportState {
  draftId: string;
  /** The answers so far; the database holds the same (the durable copy, for resuming later). */
  draft?: Draft;
  step: Step;
  /** Invalid answers in a row at this step. */
  misses: number;
  /** A draft found at the start, offered to continue. */
  offeredDraftId?: string;
}

export interface ReportDialogOptions {
  resume?: boolean;
}

export interface ReportDialogDeps {
  reports: ReportStore;
  media: MediaFetcher;
  logger: Logger;
  now?: () => Date;
}

export class ReportDialog extends FlowDialog<ReportState, ReportDialogOptions> {
  private readonly now: () => Date;

  constructor(private readonly deps: ReportDialogDeps) {
    super(REPORT_DIALOG);
    this.now = deps.now ?? (() => new Date());
  }

  override async beginDialog(dc: DialogContext, options?: ReportDialogOptions): Promise<DialogTurnResult> {
    const info = turnInfo(dc.context);
    const open = await this.deps.reports.latestDraft(info.subject.id);
    const state = this.state(dc);
    if (open && options?.resume) {
      Object.assign(state, { draftId: open.id, draft: undefined, step: 'description', misses: 0 });
      return this.askNext(dc, await this.draft(dc), 'report.welcomeBack');
    }
    if (open) {
      Object.assign(state, { draftId: crypto.randomUUID(), step: 'resumeOffer', misses: 0, offeredDraftId: open.id });
      await this.ask(dc, {});
      return Dialog.EndOfTurn;
    }
    Object.assign(state, { draftId: crypto.randomUUID(), draft: {}, step: 'description', misses: 0 });
    return this.askNext(dc, {}, 'report.framing');
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const info = turnInfo(dc.context);
    let draft = await this.draft(dc);

    // Files can come at any prompt: keep them as evidence, never lose them.
    const files = info.attachments.filter(isEvidenceFile);
    if (files.length > 0) {
      draft = await this.keepFiles(dc, draft, files);
      if (!info.text && !info.choice) return this.askCurrent(dc, draft, state.step === 'evidence' ? undefined : 'report.fileKept');
    } else if (info.attachments.length > 0 && !info.text && !info.choice) {
      return this.askCurrent(dc, draft, 'report.notUsable');
    }

    switch (state.step) {
      case 'resumeOffer':
        return this.onResumeOffer(dc);
      case 'summary':
        return this.onSummary(dc, draft);
      case 'editPick':
        return this.onEditPick(dc, draft);
      default:
        return this.onAnswer(dc, draft, state.step);
    }
  }

  override async repromptDialog(context: TurnContext, instance: { state: ReportState }): Promise<void> {
    // Called after a language switch or crisis message: ask the same question again.
    const dcLike = { context, activeDialog: instance } as unknown as DialogContext;
    await this.ask(dcLike, await this.draft(dcLike));
  }

  async help(dc: DialogContext): Promise<void> {
    const { t } = turnInfo(dc.context);
    const step = this.state(dc).step;
    const key = (FIELD_IDS as readonly string[]).includes(step) ? `report.fields.${step}.help` : 'report.helpSummary';
    await this.ask(dc, await this.draft(dc), [t(key), t('report.helpCommands')]);
  }

  override async pause(dc: DialogContext): Promise<void> {
    // Every answer is already in the draft; nothing else to keep.
    this.deps.logger.info({ event: 'report_paused', step: this.state(dc).step }, 'report paused');
  }

  override expectsFreeText(dc: DialogContext): boolean {
    const step = this.state(dc).step;
    return (FIELD_IDS as readonly string[]).includes(step) && field(step as FieldId).freeText;
  }

  // ---- steps ------------------------------------------------------------------------------------

  private async onAnswer(dc: DialogContext, draft: Draft, id: FieldId): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const info = turnInfo(dc.context);
    if (!info.text && !info.choice) return this.askCurrent(dc, draft);
    const parsed = field(id).parse(dc.context, draft, this.now());
    if (!parsed.ok) {
      state.misses++;
      const hint = state.misses >= 3 ? [info.t('report.stuck')] : [];
      await this.ask(dc, draft, [info.t(parsed.errorKey), ...hint]);
      return Dialog.EndOfTurn;
    }
    state.misses = 0;
    await this.saveDraft(dc, parsed.draft);
    return this.askNext(dc, parsed.draft, parsed.noteKey);
  }

  private async onResumeOffer(dc: DialogContext): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const info = turnInfo(dc.context);
    if (info.choice === 'report:resume' || (info.choice === undefined && /^(verder|ja|continue|yes|resume)/i.test(info.text))) {
      state.draftId = state.offeredDraftId ?? state.draftId;
      delete state.offeredDraftId;
      delete state.draft;
      return this.askNext(dc, await this.draft(dc), 'report.welcomeBack');
    }
    if (info.choice === 'report:new' || (info.choice === undefined && /^(opnieuw|nieuw|new|start)/i.test(info.text))) {
      if (state.offeredDraftId) await this.deps.reports.deleteDraft(state.offeredDraftId);
      delete state.offeredDraftId;
      state.draft = {};
      return this.askNext(dc, {}, 'report.framing');
    }
    await this.ask(dc, {});
    return Dialog.EndOfTurn;
  }

  private async onSummary(dc: DialogContext, draft: Draft): Promise<DialogTurnResult> {
    const info = turnInfo(dc.context);
    const state = this.state(dc);
    switch (info.choice) {
      case 'report:submit':
        return this.submit(dc, draft);
      case 'report:edit':
        state.step = 'editPick';
        await this.ask(dc, draft);
        return Dialog.EndOfTurn;
      case 'report:later':
        await say(dc.context, info.t('report.paused'), [choice(dc.context, 'cmd:resume', 'buttons.resumeReport'), choice(dc.context, 'menu:main', 'buttons.menu')]);
        return dc.endDialog();
      default: {
        const form = info.text.toLowerCase();
        if (/^(versturen|verstuur|verzenden|send|submit|ja|yes)\b/.test(form)) return this.submit(dc, draft);
        if (/^(aanpassen|wijzigen|veranderen|change|edit)\b/.test(form)) {
          state.step = 'editPick';
          await this.ask(dc, draft);
          return Dialog.EndOfTurn;
        }
        await this.ask(dc, draft, [info.t('report.summaryUnclear')]);
        return Dialog.EndOfTurn;
      }
    }
  }

  private async onEditPick(dc: DialogContext, draft: Draft): Promise<DialogTurnResult> {
    const info = turnInfo(dc.context);
    const state = this.state(dc);
    const picked = info.choice?.startsWith('edit:') ? (info.choice.slice(5) as FieldId) : undefined;
    if (picked && EDITABLE_FIELDS.includes(picked) && field(picked).applies(draft)) {
      state.step = picked;
      state.misses = 0;
      // Clear the old answer so the question counts as open; the draft keeps it until a new one comes.
      await this.ask(dc, draft);
      return Dialog.EndOfTurn;
    }
    if (info.choice === 'report:summary') {
      state.step = 'summary';
      await this.ask(dc, draft);
      return Dialog.EndOfTurn;
    }
    await this.ask(dc, draft);
    return Dialog.EndOfTurn;
  }

  private async submit(dc: DialogContext, draft: Draft): Promise<DialogTurnResult> {
    const info = turnInfo(dc.context);
    const state = this.state(dc);
    const missing = nextField(draft);
    if (missing) {
      state.step = missing.id;
      await this.ask(dc, draft);
      return Dialog.EndOfTurn;
    }
    const { ref } = await this.deps.reports.submit(info.subject.id, state.draftId, info.lang, draft);
    const contact = draft.contact?.method ?? 'anonymous';
    await say(dc.context, [info.t('report.submitted', { ref }), info.t(`report.nextSteps.${contact}`)], [
      { value: `human:afterReport:${ref}`, label: info.t('buttons.human') },
      choice(dc.context, 'menu:main', 'buttons.menu'),
    ]);
    return dc.endDialog({ reportRef: ref });
  }

  // ---- asking -----------------------------------------------------------------------------------

  /** Moves to the next open question, or to the summary when all are answered. */
  private async askNext(dc: DialogContext, draft: Draft, introKey?: string): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const next = nextField(draft);
    state.step = next ? next.id : 'summary';
    state.misses = 0;
    await this.ask(dc, draft, introKey ? [turnInfo(dc.context).t(introKey)] : []);
    return Dialog.EndOfTurn;
  }

  private async askCurrent(dc: DialogContext, draft: Draft, beforeKey?: string): Promise<DialogTurnResult> {
    await this.ask(dc, draft, beforeKey ? [turnInfo(dc.context).t(beforeKey)] : []);
    return Dialog.EndOfTurn;
  }

  /** Asks the current question, after `intro` paragraphs (an explanation, a kind correction...). */
  private async ask(dc: DialogContext, draft: Draft, intro: string[] = []): Promise<void> {
    const context = dc.context;
    const { t } = turnInfo(context);
    const step = this.state(dc).step;
    switch (step) {
      case 'resumeOffer': {
        const open = this.state(dc).offeredDraftId ? await this.deps.reports.loadDraft(this.state(dc).offeredDraftId!) : undefined;
        const date = open ? open.updatedAt.toLocaleDateString(turnInfo(context).lang === 'nl' ? 'nl-NL' : 'en-GB', { timeZone: 'Europe/Amsterdam' }) : '';
        await say(context, [...intro, t('report.resumeOffer', { date })], [choice(context, 'report:resume', 'report.buttons.resume'), choice(context, 'report:new', 'report.buttons.new')]);
        return;
      }
      case 'summary': {
        const lines = FIELD_IDS.map((id) => field(id).summary(t, draft)).filter((l): l is string => Boolean(l));
        await say(context, [...intro, t('report.summaryIntro'), lines.join('\n')], [
          choice(context, 'report:submit', 'report.buttons.submit'),
          choice(context, 'report:edit', 'report.buttons.edit'),
          choice(context, 'report:later', 'report.buttons.later'),
        ]);
        return;
      }
      case 'editPick': {
        const choices: Choice[] = EDITABLE_FIELDS.filter((id) => field(id).applies(draft)).map((id) => ({
          value: `edit:${id}`,
          label: t(`report.fields.${id}.label`),
        }));
        await say(context, [...intro, t('report.editPick')], choices.slice(0, 10));
        return;
      }
      default: {
        const f = field(step);
        await say(context, [...intro, f.question(t, draft)], f.choices(context, draft));
      }
    }
  }

  // ---- draft and files ---------------------------------------------------------------------------

  private async draft(dc: DialogContext): Promise<Draft> {
    const state = this.state(dc);
    if (!state.draft) state.draft = (await this.deps.reports.loadDraft(state.draftId))?.draft ?? {};
    return state.draft;
  }

  private async saveDraft(dc: DialogContext, draft: Draft): Promise<void> {
    const info = turnInfo(dc.context);
    const state = this.state(dc);
    await this.deps.reports.saveDraft(info.subject.id, state.draftId, info.lang, draft);
    state.draft = draft;
  }

  private async keepFiles(dc: DialogContext, draft: Draft, attachments: Attachment[]): Promise<Draft> {
    const info = turnInfo(dc.context);
    const state = this.state(dc);
    const files = [...(draft.evidence?.files ?? [])];
    for (const attachment of attachments) {
      try {
        const file = await this.deps.media.download(dc.context, attachment, this.deps.reports.options.maxFileBytes);
        files.push(await this.deps.reports.storeMedia(info.subject.id, state.draftId, file.contentType, file.data));
      } catch (err) {
        const tooLarge = err instanceof FileTooLargeError || err instanceof RangeError;
        this.deps.logger.warn({ event: 'evidence_file_failed', reason: tooLarge ? 'too_large' : (err as Error).message }, 'could not keep an evidence file');
        await say(dc.context, info.t(tooLarge ? 'report.fileTooLarge' : 'report.fileFailed'));
      }
    }
    const status = draft.evidence?.status ?? 'sending';
    const next: Draft = { ...draft, evidence: { ...draft.evidence, status, files } };
    await this.saveDraft(dc, next);
    return next;
  }
}
