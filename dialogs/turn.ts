/**
 * What a dialog needs to know about the current turn, prepared once by the student bot
 * (src/bots/studentBot.ts) before any dialog runs: the student's language, their message in
 * normal form, the button they pressed (if any), and who they are (a pseudonymous subject).
 */
import type { Attachment, TurnContext } from 'botbuilder';
import { translator, type Lang, type Translate } from '../src/i18n/i18n';

export interface Subject {
  /** Pseudonymous, stable id of the student for this channel (never a phone number). */
  id: string;
  channelId: string;
  conversationId: string;
  userId: string;
}

export interface Choice {
  /** Stable machine value, e.g. "menu:report" or "role:witness"; what a button press sends. */
  value: string;
  label: string;
  /** Optional second line (WhatsApp list rows). */
  description?: string;
}

export interface TurnInfo {
  lang: Lang;
  t: Translate;
  /** The message text after normalisation ('' for an image or sticker). */
  text: string;
  /** The value of the button pressed, or of a typed number/label matching an offered button. */
  choice?: string;
  attachments: Attachment[];
  subject: Subject;
  /** Set when the message was longer than we keep and was cut. */
  truncated: boolean;
  /** Buttons offered in this turn; remembered so "2" or a typed label means that button next turn. */
  offered: Choice[];
  /** The student's previous messages in this conversation (a few), for a counsellor's summary. */
  recent?: string[];
  /**
   * True once the student asked for a person, until the handoff is over. Only the student's own
   * turn can open a handoff, so without this flag there is none and no lookup is needed.
   */
  handoffOpen: boolean;
  /** Set when this turn erased all the student's data: nothing from before may be written back. */
  erased?: boolean;
}

const TURN_INFO = Symbol('stagemaatje.turnInfo');

export function setTurnInfo(context: TurnContext, info: TurnInfo): void {
  context.turnState.set(TURN_INFO, info);
}

export function turnInfo(context: TurnContext): TurnInfo {
  const info = context.turnState.get(TURN_INFO) as TurnInfo | undefined;
  if (!info) throw new Error('turn info is missing: run dialogs through the StudentBot (or the test harness)');
  return info;
}

/** Switches the language for the rest of this turn (the bot saves it to the profile). */
export function switchTurnLanguage(context: TurnContext, lang: Lang): void {
  const info = turnInfo(context);
  info.lang = lang;
  info.t = translator(lang);
}
