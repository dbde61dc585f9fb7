/**
 * Building replies. Buttons are Bot Framework suggested actions of type messageBack: Web Chat shows
 * the label as the student's message and sends the stable value; the WhatsApp adapter turns the same
 * actions into reply buttons or a list. Every offered choice is remembered (TurnInfo.offered) so a
 * typed "2" or a typed label works like pressing that button.
 */
import { ActionTypes, ActivityTypes, type Activity, type CardAction, type TurnContext } from 'botbuilder';
import { turnInfo, type Choice } from './turn';

/** A message with buttons; `locale` tells channels (WhatsApp) the language of their own labels. */
export function messageWithChoices(text: string, choices: Choice[] = [], locale?: string): Partial<Activity> {
  const activity: Partial<Activity> = { type: ActivityTypes.Message, text, inputHint: 'expectingInput', ...(locale ? { locale } : {}) };
  if (choices.length > 0) {
    activity.suggestedActions = {
      to: [],
      actions: choices.map(
        (c): CardAction => ({
          type: ActionTypes.MessageBack,
          title: c.label,
          text: c.value,
          displayText: c.label,
          value: { choice: c.value, ...(c.description ? { description: c.description } : {}) },
        }),
      ),
    };
  }
  return activity;
}

/**
 * Sends text with the choices as buttons. Several parts become paragraphs of ONE message: on a phone
 * that reads as one answer, WhatsApp would merge them anyway (its per-user rate limit), and every
 * extra message is another round trip to the channel.
 */
export async function say(context: TurnContext, text: string | string[], choices: Choice[] = []): Promise<void> {
  const parts = (Array.isArray(text) ? text : [text]).filter((p) => p.trim().length > 0);
  const info = turnInfo(context);
  await context.sendActivity(messageWithChoices(parts.join('\n\n'), choices, info.lang));
  if (choices.length > 0) info.offered = choices;
}

/** A choice whose label comes from the locale file: `choice('menu:report', 'menu.report')`. */
export function choice(context: TurnContext, value: string, labelKey: string, descriptionKey?: string): Choice {
  const { t } = turnInfo(context);
  return { value, label: t(labelKey), ...(descriptionKey ? { description: t(descriptionKey) } : {}) };
}
