/**
 * Base class for a student flow that runs under the main dialog (the report, "my reports", erasing
 * data). The main dialog handles what works at every prompt and calls these hooks:
 * - `help`: explain the question the student is looking at;
 * - `pause`: keep what the student typed so far (the flow is about to be cancelled: menu, stop, ...);
 * - `repromptDialog` (from Dialog): ask the current question again, e.g. in a new language.
 */
import { Dialog, type DialogContext, type DialogInstance } from 'botbuilder-dialogs';

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- matches botbuilder's Dialog<O = {}>
export abstract class FlowDialog<State extends object = object, Options extends object = {}> extends Dialog<Options> {
  abstract help(dc: DialogContext): Promise<void>;

  /** Called before the flow is cancelled; the default keeps nothing. */
  async pause(_dc: DialogContext): Promise<void> {
    return;
  }

  /** True when the current prompt expects free text (a crisis message there can also be the answer). */
  expectsFreeText(_dc: DialogContext): boolean {
    return false;
  }

  protected state(dc: DialogContext): State {
    return (dc.activeDialog as DialogInstance<State>).state;
  }
}

export function isFlowDialog(dialog: Dialog | undefined): dialog is FlowDialog {
  return dialog instanceof FlowDialog;
}
