/**
 * Activities → Cloud API message bodies. Pure functions: no I/O, no clock, so every limit is
 * unit-tested (contracts.md §4.2):
 *
 * - text: 4096 characters per message; longer text is split at paragraph, line or sentence ends;
 * - choices (suggested actions, hero card buttons): up to 3 with titles of at most 20 characters
 *   become reply buttons; up to 10 become a list (row title 24, description 72); more become a
 *   numbered text the student answers with a number (the bot maps "2" to the second choice);
 * - an interactive body holds at most 1024 characters: longer text goes first as plain text and the
 *   buttons follow with a short "choose below";
 * - WhatsApp allows about one message per 6 s to the same person (pair rate limit), so consecutive
 *   texts of one turn are merged into as few messages as possible, in order.
 *
 * Ids of buttons and rows are the choice values, exactly what a button press sends on other
 * channels, so a reply maps back to `value: { choice }` without any lookup.
 */
import type { Activity, Attachment, CardAction } from 'botbuilder';
import { capText, shorten } from '../../text/normalize';
import { DEFAULT_LANGUAGE, isLang, type Lang, type Translate } from '../../i18n/i18n';
import type { MessageBody } from './cloudApiClient';

export const LIMITS = {
  text: 4096,
  interactiveBody: 1024,
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
  listRows: 10,
  rowTitle: 24,
  rowDescription: 72,
  rowId: 200,
  listButton: 20,
  templateParameter: 1024,
} as const;

/** One Cloud API message and the activities (by index in the batch) it carries. */
export interface PlannedMessage {
  body: MessageBody;
  activities: number[];
}

export interface Choice {
  id: string;
  title: string;
  description?: string;
}

interface Described {
  text: string;
  choices: Choice[];
  media: MessageBody[];
}

const HERO_CARDS = new Set(['application/vnd.microsoft.card.hero', 'application/vnd.microsoft.card.thumbnail']);

/** The student's language for this batch: the first activity's locale ("en-GB" → en), else Dutch. */
export function languageOf(activities: Array<Partial<Activity>>, fallback?: string): Lang {
  const locale = activities.find((a) => a.locale)?.locale ?? fallback;
  const lang = locale?.toLowerCase().split(/[-_]/)[0];
  return isLang(lang) ? lang : DEFAULT_LANGUAGE;
}

/** Splits text into parts of at most `max` characters, preferring paragraph, line and sentence ends. */
export function splitText(text: string, max: number = LIMITS.text): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const cut = breakPoint(rest, max);
    const part = rest.slice(0, cut).trimEnd();
    if (part) parts.push(part);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

const BREAKS = [/\n[ \t]*\n/g, /\n/g, /[.!?…؟。]['")\]»”’]*(?=\s)/g, /\s/g];

function breakPoint(text: string, max: number): number {
  // capText never cuts inside a grapheme, so emoji and surrogate pairs stay whole.
  const window = capText(text, max).text;
  if (window.length === 0) return Array.from(text)[0]!.length;
  // Only break in the second half, or a stray early full stop would make many tiny messages.
  const earliest = Math.floor(window.length / 2);
  for (const pattern of BREAKS) {
    let best = -1;
    for (const match of window.matchAll(pattern)) {
      const end = match.index + match[0].length;
      if (end >= earliest) best = end;
    }
    if (best > 0) return best;
  }
  return window.length;
}

/** Titles cut to `max` characters that stay unique (WhatsApp refuses duplicate button titles). */
export function uniqueTitles(titles: string[], max: number): string[] {
  const seen = new Set<string>();
  return titles.map((raw) => {
    const clean = raw.replace(/\s+/g, ' ').trim() || '…';
    let title = shorten(clean, max);
    for (let n = 2; seen.has(title.toLowerCase()); n++) {
      const suffix = ` ${n}`;
      title = shorten(clean, max - suffix.length) + suffix;
    }
    seen.add(title.toLowerCase());
    return title;
  });
}

function choiceFromAction(action: CardAction): Choice | undefined {
  const value = action.value as { choice?: unknown; description?: unknown } | string | undefined;
  let id: string | undefined;
  if (action.type === 'messageBack') {
    id = action.text || (typeof value === 'object' && typeof value?.choice === 'string' ? value.choice : undefined);
  } else if (action.type === 'imBack' || action.type === 'postBack') {
    id = typeof value === 'string' ? value : action.title;
  }
  if (!id) return undefined;
  const description = typeof value === 'object' && typeof value?.description === 'string' ? value.description : undefined;
  return { id, title: action.title || action.displayText || id, ...(description ? { description } : {}) };
}

/** Links (openUrl buttons) cannot be WhatsApp buttons: they go into the text, which WhatsApp makes clickable. */
function linksOf(actions: CardAction[]): string[] {
  return actions.filter((a) => a.type === 'openUrl' && typeof a.value === 'string').map((a) => `${a.title ? `${a.title}: ` : ''}${a.value as string}`);
}

function describe(activity: Partial<Activity>): Described {
  const texts = activity.text?.trim() ? [activity.text.trim()] : [];
  const actions = [...(activity.suggestedActions?.actions ?? [])];
  const choices: Choice[] = [];
  const media: MessageBody[] = [];
  for (const attachment of activity.attachments ?? []) {
    const card = cardContent(attachment);
    if (card) {
      if (card.text) texts.push(card.text);
      actions.push(...card.actions);
      continue;
    }
    const file = mediaMessage(attachment);
    if (file) media.push(file);
  }
  for (const action of actions) {
    const choice = choiceFromAction(action);
    if (choice && !choices.some((c) => c.id === choice.id)) choices.push(choice);
  }
  texts.push(...linksOf(actions));
  return { text: texts.join('\n\n'), choices, media };
}

function cardContent(attachment: Attachment): { text: string; actions: CardAction[] } | undefined {
  const type = attachment.contentType ?? '';
  if (!type.startsWith('application/vnd.microsoft.card')) return undefined;
  const content = (attachment.content ?? {}) as { title?: unknown; subtitle?: unknown; text?: unknown; buttons?: unknown; fallbackText?: unknown };
  if (HERO_CARDS.has(type)) {
    const text = [content.title, content.subtitle, content.text].filter((p): p is string => typeof p === 'string' && p.trim() !== '').join('\n');
    return { text, actions: Array.isArray(content.buttons) ? (content.buttons as CardAction[]) : [] };
  }
  // Adaptive and other cards have no WhatsApp form: their fallback text is the nearest thing.
  return { text: typeof content.fallbackText === 'string' ? content.fallbackText : '', actions: [] };
}

/** A file with a public https link is sent as media; WhatsApp fetches it. Other files cannot go. */
function mediaMessage(attachment: Attachment): MessageBody | undefined {
  const url = attachment.contentUrl;
  if (!url || !/^https:\/\//i.test(url)) return undefined;
  if (/^image\/(jpeg|png)$/i.test(attachment.contentType ?? '')) return { type: 'image', image: { link: url } };
  return { type: 'document', document: { link: url, ...(attachment.name ? { filename: attachment.name } : {}) } };
}

function textMessage(body: string): MessageBody {
  return { type: 'text', text: { preview_url: false, body } };
}

type ChoiceForm = { kind: 'buttons' | 'list'; build(body: string): MessageBody } | { kind: 'numbered'; text: string };

function choiceForm(choices: Choice[], t: Translate): ChoiceForm {
  const idsFit = (max: number) => choices.every((c) => c.id.length <= max);
  if (choices.length <= LIMITS.buttons && choices.every((c) => c.title.trim().length <= LIMITS.buttonTitle) && idsFit(LIMITS.buttonId)) {
    const titles = uniqueTitles(choices.map((c) => c.title), LIMITS.buttonTitle);
    return {
      kind: 'buttons',
      build: (body) => ({
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: body },
          action: { buttons: choices.map((c, i) => ({ type: 'reply', reply: { id: c.id, title: titles[i]! } })) },
        },
      }),
    };
  }
  if (choices.length <= LIMITS.listRows && idsFit(LIMITS.rowId)) {
    const titles = uniqueTitles(choices.map((c) => c.title), LIMITS.rowTitle);
    const rows = choices.map((c, i) => {
      // A title that had to be cut is shown whole as the description, unless there is one already.
      const cut = titles[i] !== c.title.replace(/\s+/g, ' ').trim();
      const description = c.description ?? (cut ? c.title : undefined);
      return { id: c.id, title: titles[i]!, ...(description ? { description: shorten(description.replace(/\s+/g, ' ').trim(), LIMITS.rowDescription) } : {}) };
    });
    return {
      kind: 'list',
      build: (body) => ({
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: body },
          action: { button: shorten(t('whatsapp.listButton'), LIMITS.listButton), sections: [{ rows }] },
        },
      }),
    };
  }
  const lines = choices.map((c, i) => `${i + 1}. ${c.title.replace(/\s+/g, ' ').trim()}`);
  return { kind: 'numbered', text: `${lines.join('\n')}\n\n${t('whatsapp.typeNumber')}` };
}

/**
 * The messages for a batch of activities (one turn's replies), in order. Activities that are not
 * messages (typing, events) produce nothing here.
 */
export function planMessages(activities: Array<Partial<Activity>>, t: Translate): PlannedMessage[] {
  const planned: PlannedMessage[] = [];
  let pendingText: string[] = [];
  let pendingActivities: number[] = [];

  const flush = () => {
    const merged = pendingText.join('\n\n');
    for (const part of splitText(merged)) planned.push({ body: textMessage(part), activities: [...pendingActivities] });
    pendingText = [];
    pendingActivities = [];
  };
  const addText = (text: string, index: number) => {
    if (text) pendingText.push(text);
    if (!pendingActivities.includes(index)) pendingActivities.push(index);
  };

  activities.forEach((activity, index) => {
    if ((activity.type ?? 'message') !== 'message') return;
    const { text, choices, media } = describe(activity);
    if (choices.length === 0) {
      addText(text, index);
      if (media.length > 0) {
        flush();
        for (const body of media) planned.push({ body, activities: [index] });
      }
      return;
    }
    const form = choiceForm(choices, t);
    if (form.kind === 'numbered') {
      addText(text ? `${text}\n\n${form.text}` : form.text, index);
    } else {
      const together = [...pendingText, text].filter(Boolean).join('\n\n');
      let body: string;
      if (together && together.length <= LIMITS.interactiveBody) {
        body = together;
        pendingText = [];
      } else if (text && text.length <= LIMITS.interactiveBody) {
        flush();
        body = text;
      } else {
        addText(text, index);
        flush();
        body = t('whatsapp.chooseBelow');
      }
      const carried = [...pendingActivities.filter((i) => i !== index), index];
      pendingActivities = [];
      planned.push({ body: form.build(body), activities: carried });
    }
    if (media.length > 0) {
      flush();
      for (const body of media) planned.push({ body, activities: [index] });
    }
  });
  flush();
  return planned;
}

/**
 * Outside the 24-hour window only an approved template may go. The whole batch becomes its one
 * body parameter. Meta refuses parameters with line breaks, tabs or runs of spaces.
 */
export function planTemplate(activities: Array<Partial<Activity>>, template: { name: string; language: string }): PlannedMessage | undefined {
  const indexes: number[] = [];
  const texts: string[] = [];
  activities.forEach((activity, index) => {
    if ((activity.type ?? 'message') !== 'message') return;
    const { text, choices } = describe(activity);
    const options = choices.map((c, i) => `${i + 1}. ${c.title}`).join(' ');
    const whole = [text, options].filter(Boolean).join(' ');
    if (!whole) return;
    texts.push(whole);
    indexes.push(index);
  });
  if (texts.length === 0) return undefined;
  const parameter = shorten(texts.join(' ').replace(/\s+/g, ' ').trim(), LIMITS.templateParameter);
  return {
    body: {
      type: 'template',
      template: {
        name: template.name,
        language: { code: template.language },
        components: [{ type: 'body', parameters: [{ type: 'text', text: parameter }] }],
      },
    },
    activities: indexes,
  };
}

/** The configured template language that matches the student's language, else the first one. */
export function templateLanguage(lang: Lang, configured: string[]): string | undefined {
  return configured.find((code) => code.toLowerCase().split(/[-_]/)[0] === lang) ?? configured[0];
}
