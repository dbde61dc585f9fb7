/**
 * "Verwijder mijn gegevens" / "delete my data": after one clear confirmation, everything about this
 * student is erased from every store (reports, drafts, files, conversation state, handoffs,
 * WhatsApp records). Only an anonymous count of erased reports remains for statistics.
 */
import type { TurnContext } from 'botbuilder';
import { Dialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import type { SubjectEraser } from '../src/privacy/subjectEraser';
import { yesNo } from './commands';
import { FlowDialog } from './flowDialog';
import { ERASE_DIALOG } from './mainDialog';
import { choice, say } from './ui';
import { turnInfo } from './turn';

export interface EraseDataDeps {
  eraser: SubjectEraser;
  /** Drops this turn's cached state so nothing erased is written back at the end of the turn. */
  forgetTurnState(context: TurnContext): Promise<void>;
}

export class EraseDataDialog extends FlowDialog {
  constructor(private readonly deps: EraseDataDeps) {
    super(ERASE_DIALOG);
  }

  override async beginDialog(dc: DialogContext): Promise<DialogTurnResult> {
    await this.ask(dc.context);
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const info = turnInfo(dc.context);
    const answer = info.choice === 'erase:yes' ? 'yes' : info.choice === 'erase:no' ? 'no' : yesNo(info.text);
    if (answer === 'yes') {
      await this.deps.eraser.erase(info.subject.id);
      await dc.endDialog();
      await this.deps.forgetTurnState(dc.context);
      info.erased = true;
      info.recent = [];
      info.handoffOpen = false;
      await say(dc.context, info.t('erase.done'));
      return { status: 'complete' } as DialogTurnResult;
    }
    if (answer === 'no') {
      await say(dc.context, info.t('erase.cancelled'), [choice(dc.context, 'menu:main', 'buttons.menu')]);
      return dc.endDialog();
    }
    await this.ask(dc.context);
    return Dialog.EndOfTurn;
  }

  async help(dc: DialogContext): Promise<void> {
    await say(dc.context, turnInfo(dc.context).t('erase.help'));
    await this.ask(dc.context);
  }

  override async repromptDialog(context: TurnContext): Promise<void> {
    await this.ask(context);
  }

  private async ask(context: TurnContext): Promise<void> {
    await say(context, turnInfo(context).t('erase.confirm'), [choice(context, 'erase:yes', 'erase.buttons.yes'), choice(context, 'erase:no', 'erase.buttons.no')]);
  }
}
