/**
 * The questions of a report, in order. Each field knows when it applies, how to ask it, how to read
 * an answer (button, typed number or words) and how to show it in the summary.
 * Open question first (what happened, in their own words), then specific ones; nothing leading.
 */
import type { TurnContext } from 'botbuilder';
import type { Translate } from '../../src/i18n/i18n';
import { capText, keywordForm } from '../../src/text/normalize';
import { parseIncidentDate } from '../../src/reports/incidentDate';
import { parseContactDetails } from '../../src/reports/contactDetails';
import {
  CONSENT_TEXT_VERSION,
  GROUNDS,
  LEVELS,
  MOMENTS,
  WISHES,
  type Draft,
} from '../../src/reports/model';
import { yesNo } from '../commands';
import { turnInfo, type Choice } from '../turn';

export const FIELD_IDS = [
  'description', 'role', 'when', 'moment', 'organisation', 'consent', 'grounds', 'school', 'evidence', 'wishes', 'contact', 'contactValue',
] as const;
export type FieldId = (typeof FIELD_IDS)[number];

/** Fields a student can pick from the summary to change (contactValue is changed through contact). */
export const EDITABLE_FIELDS: FieldId[] = ['description', 'role', 'when', 'moment', 'organisation', 'consent', 'grounds', 'school', 'evidence', 'wishes', 'contact'];

/** `noteKey`: something to tell the student before the next question (their answer was shortened). */
export type Parsed = { ok: true; draft: Draft; noteKey?: string } | { ok: false; errorKey: string };

export interface Field {
  id: FieldId;
  /** The field is part of this report (grounds only with consent, an address only for e-mail/phone). */
  applies(draft: Draft): boolean;
  answered(draft: Draft): boolean;
  /** True for open questions, where any text is a valid answer. */
  freeText: boolean;
  choices(context: TurnContext, draft: Draft): Choice[];
  question(t: Translate, draft: Draft): string;
  parse(context: TurnContext, draft: Draft, now: Date): Parsed;
  summary(t: Translate, draft: Draft): string | undefined;
}

const options = <T extends string>(context: TurnContext, field: string, values: readonly T[]): Choice[] => {
  const { t } = turnInfo(context);
  return values.map((v) => ({ value: `${field}:${v}`, label: t(`report.choices.${field}.${v}`) }));
};

/** Value of a pressed button for this field ("role:witness" → "witness"). */
function pressed<T extends string>(context: TurnContext, field: string, values: readonly T[]): T | undefined {
  const choice = turnInfo(context).choice;
  if (!choice?.startsWith(`${field}:`)) return undefined;
  const value = choice.slice(field.length + 1) as T;
  return values.includes(value) ? value : undefined;
}

/** Matches typed words against the synonym lists in the locale (`report.synonyms.<field>.<value>`). */
function typed<T extends string>(context: TurnContext, field: string, values: readonly T[]): T[] {
  const { t, text } = turnInfo(context);
  const form = ` ${keywordForm(text)} `;
  return values.filter((v) => {
    const list = t(`report.synonyms.${field}.${v}`, { returnObjects: true }) as unknown;
    const words = [t(`report.choices.${field}.${v}`), ...(Array.isArray(list) ? list.map(String) : [])];
    return words.some((w) => {
      const k = keywordForm(w);
      return k.length > 0 && form.includes(` ${k} `);
    });
  });
}

/** "1 en 3", "1, 3", "2" → the values at those positions of the offered list. */
function numbers<T extends string>(text: string, values: readonly T[]): T[] {
  if (!/^[\d\s,;.&+]*(?:(en|and|n)[\d\s,;.&+]*)*$/i.test(text.trim())) return [];
  return [...new Set((text.match(/\d+/g) ?? []).map(Number))].map((n) => values[n - 1]).filter((v): v is T => v !== undefined);
}

/** A question answered with one of a fixed set of buttons (or its number, or its words). */
function singleChoiceField<K extends 'role' | 'moment'>(id: K, values: readonly NonNullable<Draft[K]>[]): Field {
  return {
    id,
    freeText: false,
    applies: () => true,
    answered: (d) => d[id] !== undefined,
    choices: (context) => options(context, id, values),
    question: (t) => t(`report.fields.${id}.question`),
    parse: (context, draft) => {
      const value = single(context, id, values);
      return value ? { ok: true, draft: { ...draft, [id]: value } } : { ok: false, errorKey: 'report.invalidChoice' };
    },
    summary: (t, d) => (d[id] ? t(`report.summary.${id}`, { value: t(`report.choices.${id}.${d[id]}`) }) : undefined),
  };
}

function single<T extends string>(context: TurnContext, field: string, values: readonly T[]): T | undefined {
  const fromButton = pressed(context, field, values);
  if (fromButton) return fromButton;
  const byNumber = numbers(turnInfo(context).text, values);
  if (byNumber.length === 1) return byNumber[0];
  const byWords = typed(context, field, values);
  return byWords.length === 1 ? byWords[0] : undefined;
}

function multiple<T extends string>(context: TurnContext, field: string, values: readonly T[]): T[] {
  const fromButton = pressed(context, field, values);
  if (fromButton) return [fromButton];
  const byNumber = numbers(turnInfo(context).text, values);
  if (byNumber.length > 0) return byNumber;
  return typed(context, field, values);
}

const skipped = (context: TurnContext, field: string) => turnInfo(context).choice === `${field}:skip` || typed(context, field, ['skip'] as const).length > 0;

const shortText = (text: string, max = 160) => (text.length > max ? `${clip(text, max).trimEnd()}…` : text);
/** At most `max` UTF-16 units, never cutting an emoji or a letter with its accent in half. */
const clip = (text: string, max: number) => capText(text, max).text;
/** A short free-text answer: cut to `max` (whole characters), and the student told when it was. */
function shortAnswer(text: string, max: number, update: (value: string) => Draft): Parsed {
  const { text: value, truncated } = capText(text, max);
  return { ok: true, draft: update(value), ...(truncated ? { noteKey: 'report.answerShortened' } : {}) };
}

const ROLE_VALUES = ['victim', 'witness'] as const;
const EVIDENCE_CHOICES = ['sending', 'later', 'none'] as const;

export const FIELDS: Field[] = [
  {
    id: 'description',
    freeText: true,
    applies: () => true,
    answered: (d) => d.description !== undefined,
    choices: () => [],
    question: (t) => t('report.fields.description.question'),
    parse: (context, draft) => {
      const { text } = turnInfo(context);
      if (text.replace(/\s/g, '').length < 3) return { ok: false, errorKey: 'report.fields.description.tooShort' };
      return { ok: true, draft: { ...draft, description: text } };
    },
    summary: (t, d) => (d.description ? t('report.summary.description', { value: shortText(d.description) }) : undefined),
  },
  singleChoiceField('role', ROLE_VALUES),
  {
    id: 'when',
    freeText: false,
    applies: () => true,
    answered: (d) => d.when !== undefined,
    choices: (context) => options(context, 'when', ['today', 'yesterday', 'unknown'] as const),
    question: (t) => t('report.fields.when.question'),
    parse: (context, draft, now) => {
      const { choice, text, t, lang } = turnInfo(context);
      const button = choice?.startsWith('when:') ? choice.slice(5) : undefined;
      const source = button ? t(`report.choices.when.${button}`) : text;
      if (button === 'unknown') return { ok: true, draft: { ...draft, when: { precision: 'unknown', text: source } } };
      const parsed = parseIncidentDate(button === 'today' ? 'vandaag' : button === 'yesterday' ? 'gisteren' : source, lang, now);
      if (!parsed.ok) return { ok: false, errorKey: parsed.reason === 'future' ? 'report.fields.when.future' : 'report.fields.when.unreadable' };
      return { ok: true, draft: { ...draft, when: { ...parsed.value, text: clip(source, 200) } } };
    },
    summary: (t, d) => {
      if (!d.when) return undefined;
      if (!d.when.date) return t('report.summary.when', { value: d.when.text || t('report.choices.when.unknown') });
      const [y, m, day] = d.when.date.split('-');
      const shown = d.when.precision === 'day' ? `${Number(day)}-${Number(m)}-${y}` : d.when.text;
      return t('report.summary.when', { value: d.when.precision === 'day' ? `${d.when.text} (${shown})` : shown });
    },
  },
  singleChoiceField('moment', MOMENTS),
  {
    id: 'organisation',
    freeText: true,
    applies: () => true,
    answered: (d) => d.organisation !== undefined,
    choices: (context) => [{ value: 'organisation:skip', label: turnInfo(context).t('report.choices.organisation.skip') }],
    question: (t) => t('report.fields.organisation.question'),
    parse: (context, draft) => {
      if (skipped(context, 'organisation')) return { ok: true, draft: { ...draft, organisation: '' } };
      const { text } = turnInfo(context);
      if (!text) return { ok: false, errorKey: 'report.needText' };
      return shortAnswer(text, 300, (organisation) => ({ ...draft, organisation }));
    },
    summary: (t, d) =>
      d.organisation === undefined ? undefined : t('report.summary.organisation', { value: d.organisation || t('report.choices.organisation.skip') }),
  },
  {
    id: 'consent',
    freeText: false,
    applies: () => true,
    answered: (d) => d.consent !== undefined,
    choices: (context) => options(context, 'consent', ['yes', 'no'] as const),
    question: (t) => t('report.fields.consent.question'),
    parse: (context, draft, now) => {
      const { lang, text } = turnInfo(context);
      const answer = pressed(context, 'consent', ['yes', 'no'] as const) ?? yesNo(text);
      if (!answer) return { ok: false, errorKey: 'report.fields.consent.unclear' };
      const consent = { given: answer === 'yes', at: now.toISOString(), textVersion: CONSENT_TEXT_VERSION, lang };
      // Without consent the grounds are not kept, not even ones given before.
      const next: Draft = { ...draft, consent };
      if (!consent.given) delete next.grounds;
      return { ok: true, draft: next };
    },
    summary: (t, d) => (d.consent ? t(d.consent.given ? 'report.summary.consentGiven' : 'report.summary.consentRefused') : undefined),
  },
  {
    id: 'grounds',
    freeText: false,
    applies: (d) => d.consent?.given === true,
    answered: (d) => d.grounds !== undefined,
    choices: (context) => options(context, 'grounds', GROUNDS),
    question: (t) => t('report.fields.grounds.question'),
    parse: (context, draft) => {
      const grounds = multiple(context, 'grounds', GROUNDS);
      if (grounds.length === 0) return { ok: false, errorKey: 'report.invalidChoice' };
      // "not sure" together with a ground means the ground, with doubt: keep both.
      return { ok: true, draft: { ...draft, grounds } };
    },
    summary: (t, d) =>
      d.grounds ? t('report.summary.grounds', { value: d.grounds.map((g) => t(`report.choices.grounds.${g}`)).join(', ') }) : undefined,
  },
  {
    id: 'school',
    freeText: true,
    applies: () => true,
    answered: (d) => d.school !== undefined,
    choices: (context) => [...options(context, 'school', ['mbo', 'hbo', 'wo'] as const), { value: 'school:skip', label: turnInfo(context).t('report.choices.school.skip') }],
    question: (t) => t('report.fields.school.question'),
    parse: (context, draft) => {
      if (skipped(context, 'school')) return { ok: true, draft: { ...draft, school: '', level: undefined } };
      const button = pressed(context, 'school', LEVELS);
      if (button) return { ok: true, draft: { ...draft, level: button, school: draft.school ?? '' } };
      const { text } = turnInfo(context);
      if (!text) return { ok: false, errorKey: 'report.needText' };
      const level = LEVELS.find((l) => l !== 'other' && new RegExp(`\\b${l}\\b`, 'i').test(text));
      return shortAnswer(text, 200, (school) => ({ ...draft, level: level ?? draft.level, school }));
    },
    summary: (t, d) => {
      if (d.school === undefined) return undefined;
      const parts = [d.level ? t(`report.choices.school.${d.level}`) : undefined, d.school || undefined].filter(Boolean);
      return t('report.summary.school', { value: parts.length ? parts.join(' – ') : t('report.choices.school.skip') });
    },
  },
  {
    id: 'evidence',
    freeText: true,
    applies: () => true,
    answered: (d) => d.evidence !== undefined && d.evidence.status !== 'sending',
    choices: (context, draft) =>
      draft.evidence?.status === 'sending'
        ? [{ value: 'evidence:done', label: turnInfo(context).t('report.choices.evidence.done') }]
        : options(context, 'evidence', EVIDENCE_CHOICES),
    question: (t, d) =>
      d.evidence?.status === 'sending'
        ? t('report.fields.evidence.sendNow', { count: d.evidence.files.length })
        : t('report.fields.evidence.question'),
    parse: (context, draft) => {
      const files = draft.evidence?.files ?? [];
      const { choice, text } = turnInfo(context);
      if (choice === 'evidence:done' || (draft.evidence?.status === 'sending' && typed(context, 'evidence', ['done'] as const).length > 0)) {
        return { ok: true, draft: { ...draft, evidence: { ...draft.evidence, status: files.length > 0 ? 'sent' : 'none', files } } };
      }
      const picked = pressed(context, 'evidence', EVIDENCE_CHOICES) ?? single(context, 'evidence', EVIDENCE_CHOICES);
      if (picked) return { ok: true, draft: { ...draft, evidence: { ...draft.evidence, status: picked, files } } };
      if (!text) return { ok: false, errorKey: 'report.needText' };
      return shortAnswer(text, 2000, (description) => ({ ...draft, evidence: { status: 'described', description, files } }));
    },
    summary: (t, d) => {
      if (!d.evidence) return undefined;
      const status = d.evidence.description
        ? shortText(d.evidence.description, 100)
        : t(`report.summary.evidenceStatus.${d.evidence.status}`);
      const files = d.evidence.files.length > 0 ? t('report.summary.files', { count: d.evidence.files.length }) : '';
      return t('report.summary.evidence', { value: `${status}${files}` });
    },
  },
  {
    id: 'wishes',
    freeText: false,
    applies: () => true,
    answered: (d) => d.wishes !== undefined,
    choices: (context) => options(context, 'wishes', WISHES),
    question: (t) => t('report.fields.wishes.question'),
    parse: (context, draft) => {
      const wishes = multiple(context, 'wishes', WISHES);
      return wishes.length > 0 ? { ok: true, draft: { ...draft, wishes } } : { ok: false, errorKey: 'report.invalidChoice' };
    },
    summary: (t, d) =>
      d.wishes ? t('report.summary.wishes', { value: d.wishes.map((w) => t(`report.choices.wishes.${w}`)).join(', ') }) : undefined,
  },
  {
    id: 'contact',
    freeText: true,
    applies: () => true,
    answered: (d) => d.contact !== undefined,
    choices: (context) => options(context, 'contact', ['chat', 'anonymous'] as const),
    question: (t) => t('report.fields.contact.question'),
    parse: (context, draft) => {
      const { text } = turnInfo(context);
      const method = pressed(context, 'contact', ['chat', 'anonymous', 'email', 'phone'] as const);
      if (method) return { ok: true, draft: { ...draft, contact: { method } } };
      const details = parseContactDetails(text);
      if (details.kind === 'email' || details.kind === 'phone') return { ok: true, draft: { ...draft, contact: { method: details.kind, value: details.value } } };
      if (details.kind === 'invalidEmail') return { ok: false, errorKey: 'report.fields.contactValue.invalidEmail' };
      if (details.kind === 'invalidPhone') return { ok: false, errorKey: 'report.fields.contactValue.invalidPhone' };
      const words = typed(context, 'contact', ['chat', 'anonymous', 'email', 'phone'] as const);
      if (words.length === 1) return { ok: true, draft: { ...draft, contact: { method: words[0]! } } };
      const yes = yesNo(text);
      if (yes === 'yes') return { ok: true, draft: { ...draft, contact: { method: 'chat' } } };
      if (yes === 'no') return { ok: true, draft: { ...draft, contact: { method: 'anonymous' } } };
      return { ok: false, errorKey: 'report.fields.contact.unclear' };
    },
    summary: (t, d) => {
      if (!d.contact) return undefined;
      const how = t(`report.choices.contact.${d.contact.method}`);
      return t('report.summary.contact', { value: d.contact.value ? `${how}: ${d.contact.value}` : how });
    },
  },
  {
    id: 'contactValue',
    freeText: true,
    applies: (d) => d.contact?.method === 'email' || d.contact?.method === 'phone',
    answered: (d) => Boolean(d.contact?.value),
    choices: (context) => options(context, 'contact', ['chat', 'anonymous'] as const),
    question: (t, d) => t(d.contact?.method === 'phone' ? 'report.fields.contactValue.questionPhone' : 'report.fields.contactValue.questionEmail'),
    parse: (context, draft) => {
      const method = pressed(context, 'contact', ['chat', 'anonymous'] as const);
      if (method) return { ok: true, draft: { ...draft, contact: { method } } };
      const details = parseContactDetails(turnInfo(context).text);
      if (details.kind === 'email' || details.kind === 'phone') return { ok: true, draft: { ...draft, contact: { method: details.kind, value: details.value } } };
      const wanted = draft.contact?.method === 'phone' ? 'invalidPhone' : 'invalidEmail';
      return { ok: false, errorKey: `report.fields.contactValue.${details.kind.startsWith('invalid') ? details.kind : wanted}` };
    },
    summary: () => undefined,
  },
];

export function field(id: FieldId): Field {
  const found = FIELDS.find((f) => f.id === id);
  if (!found) throw new Error(`unknown report field ${id}`);
  return found;
}

/** The first question that still needs an answer, or undefined when the report is complete. */
export function nextField(draft: Draft): Field | undefined {
  return FIELDS.find((f) => f.applies(draft) && !f.answered(draft));
}
