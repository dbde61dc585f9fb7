/**
 * Adaptive Cards for the counsellors' Teams channel, built as objects (never string templates, so
 * quotes and braces in student text cannot break the JSON).
 *
 * Teams renders Markdown in TextBlocks and FactSets, so everything a student wrote goes into a
 * TextRun (plain text, no Markdown) after bidi/control characters are stripped: a student cannot
 * inject links or emphasis into what counsellors see. Every button carries a stable machine name in
 * `data.action` (claim, handback, close), whatever its label.
 */
import { CardFactory, type Attachment } from 'botbuilder';
import type { Translate } from '../i18n/i18n';
import { stripUnsafeCharacters } from '../text/normalize';
import type { ReportSummary } from '../reports/reportStore';
import type { Handoff } from './handoffStore';

export const HANDOFF_ACTIONS = ['claim', 'handback', 'close'] as const;
export type HandoffAction = (typeof HANDOFF_ACTIONS)[number];

const time = (date: Date) =>
  date.toLocaleString('nl-NL', { timeZone: 'Europe/Amsterdam', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

function plain(text: string) {
  return { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: stripUnsafeCharacters(text) }] };
}

/** An Adaptive Card 1.4 (what Teams renders on desktop and mobile) with a title, a body and buttons. */
function card(title: string, body: object[], actions: object[] = []): Attachment {
  return CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [{ type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true }, ...body],
    actions,
  });
}

function submit(t: Translate, action: HandoffAction, handoffId: string, style?: 'positive' | 'destructive') {
  return { type: 'Action.Submit', title: t(`counsellor.card.actions.${action}`), data: { action, handoffId }, ...(style ? { style } : {}) };
}

export function handoffCard(t: Translate, handoff: Handoff, summary: string): Attachment {
  const status =
    handoff.state === 'queued'
      ? t('counsellor.card.status.queued')
      : handoff.state === 'claimed'
        ? t('counsellor.card.status.claimed', { name: handoff.claimedByName ?? '' })
        : t('counsellor.card.status.closed');
  const facts = [
    { title: t('counsellor.card.facts.student'), value: handoff.label },
    { title: t('counsellor.card.facts.language'), value: t(`counsellor.languages.${handoff.lang}`) },
    { title: t('counsellor.card.facts.since'), value: time(handoff.createdAt) },
    { title: t('counsellor.card.facts.reason'), value: t(`counsellor.reasons.${handoff.reason}`) },
    ...(handoff.reportRef ? [{ title: t('counsellor.card.facts.report'), value: handoff.reportRef }] : []),
    { title: t('counsellor.card.facts.status'), value: status },
  ];
  const actions =
    handoff.state === 'queued'
      ? [submit(t, 'claim', handoff.id, 'positive'), submit(t, 'close', handoff.id)]
      : handoff.state === 'claimed'
        ? [submit(t, 'handback', handoff.id), submit(t, 'close', handoff.id, 'destructive')]
        : [];
  return card(
    t(handoff.outOfHours ? 'counsellor.card.titleOutOfHours' : 'counsellor.card.title'),
    [
      { type: 'FactSet', facts },
      { type: 'TextBlock', text: t('counsellor.card.summaryTitle'), weight: 'Bolder', wrap: true, spacing: 'Medium' },
      plain(summary || t('counsellor.card.noSummary')),
      { type: 'TextBlock', text: t(handoff.state === 'claimed' ? 'counsellor.card.howToReply' : 'counsellor.card.howToClaim'), isSubtle: true, wrap: true, size: 'Small' },
    ],
    actions,
  );
}

export function reportCard(t: Translate, report: ReportSummary): Attachment {
  const f = report.facts;
  const list = (key: string, values: string[]) => (values.length ? values.map((v) => t(`${key}.${v}`)).join(', ') : '–');
  return card(t('counsellor.reportCard.title', { ref: report.ref }), [
    {
      type: 'FactSet',
      facts: [
        { title: t('counsellor.reportCard.submitted'), value: time(report.submittedAt) },
        { title: t('counsellor.card.facts.language'), value: t(`counsellor.languages.${report.lang}`) },
        { title: t('counsellor.reportCard.role'), value: t(`report.choices.role.${f.role}`) },
        { title: t('counsellor.reportCard.moment'), value: t(`report.choices.moment.${f.moment}`) },
        { title: t('counsellor.reportCard.grounds'), value: list('report.choices.grounds', f.grounds) },
        { title: t('counsellor.reportCard.wishes'), value: list('report.choices.wishes', f.wishes) },
        { title: t('counsellor.reportCard.contact'), value: t(`report.choices.contact.${f.contactMethod}`) },
        { title: t('counsellor.reportCard.evidence'), value: t(`report.summary.evidenceStatus.${f.evidenceStatus}`) + (f.fileCount ? ` (${f.fileCount})` : '') },
      ],
    },
    { type: 'TextBlock', text: t('counsellor.reportCard.howToRead', { ref: report.ref }), isSubtle: true, wrap: true, size: 'Small' },
  ]);
}

export function queueCard(t: Translate, waiting: Array<Handoff & { position?: number }>): Attachment {
  const rows = waiting.map((h) => ({
    type: 'TextBlock',
    wrap: true,
    text: t('counsellor.queue.row', {
      label: h.label,
      since: time(h.createdAt),
      language: t(`counsellor.languages.${h.lang}`),
      state: h.state === 'claimed' ? t('counsellor.queue.claimedBy', { name: h.claimedByName ?? '' }) : t('counsellor.queue.waiting'),
    }),
  }));
  return card(t('counsellor.queue.title', { count: waiting.length }), rows.length ? rows : [{ type: 'TextBlock', text: t('counsellor.queue.empty'), wrap: true }]);
}
