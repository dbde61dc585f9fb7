/**
 * Showing handbook answers: the answer with its handbook section, the organisations it refers to
 * (contact details from content/organisations.yaml), and follow-up buttons.
 */
import type { TurnContext } from 'botbuilder';
import type { AnswerResult } from '../src/handbook/answerer';
import type { FollowUpAction, Handbook, HandbookEntry, Organisation } from '../src/handbook/content';
import type { Lang, Translate } from '../src/i18n/i18n';
import { choice, say } from './ui';
import { turnInfo, type Choice } from './turn';

const ACTION_CHOICES: Record<FollowUpAction, { value: string; label: string }> = {
  report: { value: 'menu:report', label: 'buttons.report' },
  counsellor: { value: 'menu:human', label: 'buttons.human' },
  evidence: { value: 'topic:evidence', label: 'buttons.evidence' },
  privacy: { value: 'topic:privacy-data', label: 'buttons.privacy' },
};

export function formatOrganisation(org: Organisation, lang: Lang, t: Translate): string {
  const details = [
    org.phone ? t('qna.contact.phone', { phone: org.phone }) + (org.hours ? ` (${org.hours[lang]})` : '') : undefined,
    org.website ? org.website.replace(/^https?:\/\//, '').replace(/\/$/, '') : undefined,
    org.email,
  ].filter(Boolean);
  const lines = [`${org.name[lang]}${org.description ? ` – ${org.description[lang]}` : ''}`];
  if (details.length > 0) lines.push(details.join(' · '));
  if (org.note) lines.push(org.note[lang]);
  return lines.join('\n');
}

export function formatAnswer(entry: HandbookEntry, t: Translate): string {
  return `${entry.answer.trim()}\n\n${t('qna.source', { section: entry.section, title: entry.title })}`;
}

function contactsText(entry: HandbookEntry, handbook: Handbook, t: Translate): string | undefined {
  const orgs = entry.contacts.map((id) => handbook.organisations.get(id)).filter((o): o is Organisation => Boolean(o));
  if (orgs.length === 0) return undefined;
  return [
    t('qna.contactsIntro'),
    ...orgs.map((o) => formatOrganisation(o, entry.lang, t)),
    t('qna.contactsChecked', { date: handbook.organisationsLastChecked }),
  ].join('\n\n');
}

export function followUpChoices(context: TurnContext, entry: HandbookEntry): Choice[] {
  const { t } = turnInfo(context);
  const choices: Choice[] = entry.actions.slice(0, 2).map((a) => ({ value: ACTION_CHOICES[a].value, label: t(ACTION_CHOICES[a].label) }));
  if (entry.related.length > 0) choices.push({ value: `related:${entry.id}`, label: t('buttons.more') });
  return choices;
}

export async function sendAnswer(context: TurnContext, handbook: Handbook, entry: HandbookEntry): Promise<void> {
  const { t } = turnInfo(context);
  const contacts = contactsText(entry, handbook, t);
  // One message: the answer with where to go; the buttons offer the next step.
  await say(context, contacts ? `${formatAnswer(entry, t)}\n\n${contacts}` : formatAnswer(entry, t), followUpChoices(context, entry));
}

export async function sendRelated(context: TurnContext, handbook: Handbook, topicId: string): Promise<void> {
  const { lang, t } = turnInfo(context);
  const entry = handbook.byId(lang, topicId);
  const related = (entry?.related ?? [])
    .map((id) => handbook.byId(lang, id))
    .filter((e): e is HandbookEntry => Boolean(e))
    .map((e) => ({ value: `topic:${e.id}`, label: e.title }));
  await say(context, t('qna.relatedIntro'), [...related, choice(context, 'menu:topics', 'buttons.allTopics')]);
}

/** The topic menu: sections first, then the topics of one section. */
export async function sendSections(context: TurnContext, handbook: Handbook): Promise<void> {
  const { lang, t } = turnInfo(context);
  const sections = [...new Set(handbook.entries[lang].map((e) => e.section.split('.')[0]!))].sort();
  await say(
    context,
    t('qna.sectionsIntro'),
    sections.map((s) => ({ value: `section:${s}`, label: t(`qna.sections.${s}`) })),
  );
}

export async function sendSectionTopics(context: TurnContext, handbook: Handbook, section: string): Promise<void> {
  const { lang, t } = turnInfo(context);
  const entries = handbook.entries[lang]
    .filter((e) => e.section.split('.')[0] === section)
    .sort((a, b) => Number(a.section.split('.')[1]) - Number(b.section.split('.')[1]));
  if (entries.length === 0) return sendSections(context, handbook);
  await say(
    context,
    t('qna.sectionTopicsIntro', { section: t(`qna.sections.${section}`) }),
    entries.map((e) => ({ value: `topic:${e.id}`, label: e.title })),
  );
}

/** Presents what the answerer found. Returns false when the bot could not answer. */
export async function sendAnswerResult(context: TurnContext, handbook: Handbook, result: AnswerResult, offerPerson: boolean): Promise<boolean> {
  const { t } = turnInfo(context);
  switch (result.kind) {
    case 'answer':
      await sendAnswer(context, handbook, result.entry);
      return true;
    case 'didYouMean':
      await say(context, t('qna.didYouMean'), [
        ...result.candidates.map((e) => ({ value: `topic:${e.id}`, label: e.title })),
        choice(context, 'qna:none', 'buttons.somethingElse'),
      ]);
      return true;
    case 'none':
      if (result.suggestions.length > 0 && !offerPerson) {
        await say(context, t('qna.notSure'), [
          ...result.suggestions.map((e) => ({ value: `topic:${e.id}`, label: e.title })),
          choice(context, 'qna:none', 'buttons.somethingElse'),
        ]);
        return false;
      }
      await say(context, t(offerPerson ? 'qna.unknownOfferPerson' : 'qna.unknown'), [
        choice(context, 'menu:topics', 'buttons.topics'),
        // After two questions it could not answer, the offer says why (the counsellor sees it).
        choice(context, offerPerson ? 'human:lowConfidence' : 'menu:human', 'buttons.human'),
        choice(context, 'menu:main', 'buttons.menu'),
      ]);
      return false;
  }
}
