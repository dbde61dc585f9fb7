/**
 * A student's submitted reports: see the status, add information (text or files), withdraw,
 * or delete a report. Only reports made from this chat (same pseudonymous owner) are shown,
 * so a reference number alone is not enough to read or change someone else's report.
 */
import type { TurnContext } from 'botbuilder';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import type { Logger } from '../src/logger';
import type { ReportOverview, ReportStore } from '../src/reports/reportStore';
import { isEvidenceFile, type DownloadedFile, type MediaFetcher } from '../src/channels/media';
import { findReference, yesNo } from './commands';
import { FlowDialog } from './flowDialog';
import { MY_REPORTS_DIALOG } from './mainDialog';
import { choice, say } from './ui';
import { turnInfo } from './turn';

type Step = 'pick' | 'actions' | 'addInfo' | 'confirmWithdraw' | 'confirmDelete';

interface MyReportsState {
  step: Step;
  ref?: string;
}

export interface MyReportsDeps {
  reports: ReportStore;
  media: MediaFetcher;
  logger: Logger;
}

export class MyReportsDialog extends FlowDialog<MyReportsState, { ref?: string }> {
  constructor(private readonly deps: MyReportsDeps) {
    super(MY_REPORTS_DIALOG);
  }

  override async beginDialog(dc: DialogContext, options?: { ref?: string }): Promise<DialogTurnResult> {
    const info = turnInfo(dc.context);
    const reports = await this.deps.reports.listForOwner(info.subject.id);
    const state = this.state(dc);
    if (options?.ref) {
      const found = reports.find((r) => r.ref === options.ref);
      if (!found) {
        await say(dc.context, info.t('myReports.notFound', { ref: options.ref }), this.noneChoices(dc.context));
        return dc.endDialog();
      }
      state.ref = found.ref;
      return this.showStatus(dc, found);
    }
    if (reports.length === 0) {
      await say(dc.context, info.t('myReports.none'), this.noneChoices(dc.context));
      return dc.endDialog();
    }
    if (reports.length === 1) {
      state.ref = reports[0]!.ref;
      return this.showStatus(dc, reports[0]!);
    }
    state.step = 'pick';
    await this.askPick(dc.context, reports);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const info = turnInfo(dc.context);
    const owner = info.subject.id;
    switch (state.step) {
      case 'pick': {
        const ref = info.choice?.startsWith('myreport:') ? info.choice.slice(9) : findReference(info.text);
        const found = ref ? await this.deps.reports.findForOwner(owner, ref) : undefined;
        if (!found) {
          await this.askPick(dc.context, await this.deps.reports.listForOwner(owner));
          return Dialog.EndOfTurn;
        }
        state.ref = found.ref;
        return this.showStatus(dc, found);
      }
      case 'actions':
        return this.onAction(dc);
      case 'addInfo':
        return this.onAddInfo(dc);
      case 'confirmWithdraw': {
        if (this.confirmed(dc) === 'yes' && state.ref) {
          await this.deps.reports.withdraw(owner, state.ref);
          state.step = 'confirmDelete';
          await say(dc.context, info.t('myReports.withdrawn', { ref: state.ref }), [
            choice(dc.context, 'confirm:yes', 'myReports.buttons.deleteToo'),
            choice(dc.context, 'confirm:no', 'myReports.buttons.keep'),
          ]);
          return Dialog.EndOfTurn;
        }
        await say(dc.context, info.t('myReports.nothingChanged'), [choice(dc.context, 'menu:main', 'buttons.menu')]);
        return dc.endDialog();
      }
      case 'confirmDelete': {
        if (this.confirmed(dc) === 'yes' && state.ref) {
          await this.deps.reports.eraseForOwner(owner, state.ref);
          this.deps.logger.info({ event: 'report_erased_by_student' }, 'student erased a report');
          await say(dc.context, info.t('myReports.deleted'), [choice(dc.context, 'menu:main', 'buttons.menu')]);
          return dc.endDialog();
        }
        await say(dc.context, info.t('myReports.nothingChanged'), [choice(dc.context, 'menu:main', 'buttons.menu')]);
        return dc.endDialog();
      }
    }
  }

  async help(dc: DialogContext): Promise<void> {
    await say(dc.context, turnInfo(dc.context).t(`myReports.help.${this.state(dc).step}`));
    await this.repromptDialog(dc.context, dc.activeDialog as { state: MyReportsState } as never);
  }

  override async repromptDialog(context: TurnContext, instance: { state: MyReportsState }): Promise<void> {
    const info = turnInfo(context);
    const state = instance.state;
    const ref = state.ref ? await this.deps.reports.findForOwner(info.subject.id, state.ref) : undefined;
    switch (state.step) {
      case 'pick':
        await this.askPick(context, await this.deps.reports.listForOwner(info.subject.id));
        return;
      case 'addInfo':
        await say(context, info.t('myReports.addInfoPrompt'));
        return;
      default:
        if (ref) await say(context, this.statusText(context, ref), this.actionChoices(context));
    }
  }

  private async askPick(context: TurnContext, reports: ReportOverview[]): Promise<void> {
    await say(context, turnInfo(context).t('myReports.pick'), reports.slice(0, 10).map((r) => ({ value: `myreport:${r.ref}`, label: r.ref })));
  }

  /** A yes/no question; the answer comes back as confirm:yes or confirm:no. */
  private async askToConfirm(context: TurnContext, question: string, yesLabel: string): Promise<void> {
    await say(context, question, [choice(context, 'confirm:yes', yesLabel), choice(context, 'confirm:no', 'myReports.buttons.no')]);
  }

  private statusText(context: TurnContext, report: ReportOverview): string {
    const { t, lang } = turnInfo(context);
    const date = (d: Date) => d.toLocaleDateString(lang === 'nl' ? 'nl-NL' : 'en-GB', { timeZone: 'Europe/Amsterdam', day: 'numeric', month: 'long', year: 'numeric' });
    return t('myReports.status', {
      ref: report.ref,
      status: t(`myReports.statuses.${report.status}`),
      explanation: t(`myReports.statusExplanation.${report.status}`),
      submitted: date(report.submittedAt),
      updated: date(report.updatedAt),
    });
  }

  private actionChoices(context: TurnContext) {
    return [
      choice(context, 'myreports:add', 'myReports.buttons.add'),
      choice(context, 'myreports:withdraw', 'myReports.buttons.withdraw'),
      choice(context, 'myreports:delete', 'myReports.buttons.delete'),
      choice(context, 'menu:main', 'buttons.menu'),
    ];
  }

  private noneChoices(context: TurnContext) {
    return [choice(context, 'menu:report', 'buttons.report'), choice(context, 'menu:main', 'buttons.menu')];
  }

  private async showStatus(dc: DialogContext, report: ReportOverview): Promise<DialogTurnResult> {
    this.state(dc).step = 'actions';
    await say(dc.context, this.statusText(dc.context, report), this.actionChoices(dc.context));
    return Dialog.EndOfTurn;
  }

  private async onAction(dc: DialogContext): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const info = turnInfo(dc.context);
    const text = info.text.toLowerCase();
    const action = info.choice?.startsWith('myreports:')
      ? info.choice.slice(10)
      : /aanvul|toevoeg|add/.test(text) ? 'add' : /intrek|withdraw/.test(text) ? 'withdraw' : /verwijder|delete|wis/.test(text) ? 'delete' : undefined;
    switch (action) {
      case 'add':
        state.step = 'addInfo';
        await say(dc.context, info.t('myReports.addInfoPrompt'));
        return Dialog.EndOfTurn;
      case 'withdraw':
        state.step = 'confirmWithdraw';
        await this.askToConfirm(dc.context, info.t('myReports.confirmWithdraw', { ref: state.ref }), 'myReports.buttons.yesWithdraw');
        return Dialog.EndOfTurn;
      case 'delete':
        state.step = 'confirmDelete';
        await this.askToConfirm(dc.context, info.t('myReports.confirmDelete', { ref: state.ref }), 'myReports.buttons.yesDelete');
        return Dialog.EndOfTurn;
      default:
        await this.repromptDialog(dc.context, dc.activeDialog as never);
        return Dialog.EndOfTurn;
    }
  }

  private async onAddInfo(dc: DialogContext): Promise<DialogTurnResult> {
    const state = this.state(dc);
    const info = turnInfo(dc.context);
    const files: DownloadedFile[] = [];
    for (const attachment of info.attachments.filter(isEvidenceFile)) {
      try {
        files.push(await this.deps.media.download(dc.context, attachment, this.deps.reports.options.maxFileBytes));
      } catch {
        await say(dc.context, info.t('report.fileFailed'));
      }
    }
    if (!info.text && files.length === 0) {
      await say(dc.context, info.t('myReports.addInfoPrompt'));
      return Dialog.EndOfTurn;
    }
    const added = state.ref ? await this.deps.reports.addInformation(info.subject.id, state.ref, info.text, files) : false;
    await say(dc.context, info.t(added ? 'myReports.added' : 'myReports.notFound', { ref: state.ref }), [choice(dc.context, 'menu:main', 'buttons.menu')]);
    return dc.endDialog();
  }

  private confirmed(dc: DialogContext): 'yes' | 'no' | undefined {
    const info = turnInfo(dc.context);
    if (info.choice === 'confirm:yes') return 'yes';
    if (info.choice === 'confirm:no') return 'no';
    return yesNo(info.text);
  }
}
