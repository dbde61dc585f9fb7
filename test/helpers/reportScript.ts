/**
 * One typical report, from "ik wil melden" to the reference number, as data: what the student
 * sends at each step and which question the bot must ask next. The reliability tests play it over
 * Web Chat and WhatsApp, split over processes and crashes, and then check the stored report.
 * Expected texts come from the Dutch locale, so copy edits do not break these tests.
 */
import assert from 'node:assert/strict';
import { i18n, translator } from '../../src/i18n/i18n';
import type { FullReport } from '../../src/reports/reportStore';

export const nl = translator('nl');

export const REF = /SM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}/;

/** A pattern for a translated message; `{{placeholders}}` match anything. */
export function localeText(key: string): RegExp {
  const template = i18n().getResource('nl', 'translation', key) as unknown;
  assert.ok(typeof template === 'string', `no Dutch text for ${key}`);
  const parts = template.split(/\{\{[^}]+\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(parts.join('[\\s\\S]*?'));
}

export interface ReportStep {
  /** What the student types, or the button value they press. */
  input: string;
  press: boolean;
  /** What the bot's answer to this step must contain: the next question. */
  next: RegExp;
  /** Field this step answers, for readable failure messages. */
  answers: string;
}

const question = (field: string) => localeText(`report.fields.${field}.question`);

/** The steps of a named report with buttons; `description` is what the student writes at step 1. */
export function reportSteps(description: string): ReportStep[] {
  return [
    { input: 'ik wil melden', press: false, answers: 'start', next: question('description') },
    { input: description, press: false, answers: 'description', next: question('role') },
    { input: 'role:victim', press: true, answers: 'role', next: question('when') },
    { input: 'vorige week dinsdag', press: false, answers: 'when', next: question('moment') },
    { input: 'moment:during', press: true, answers: 'moment', next: question('organisation') },
    { input: 'Bakkerij De Korenaar', press: false, answers: 'organisation', next: question('consent') },
    { input: 'consent:yes', press: true, answers: 'consent', next: question('grounds') },
    { input: 'grounds:origin', press: true, answers: 'grounds', next: question('school') },
    { input: 'school:mbo', press: true, answers: 'school', next: question('evidence') },
    { input: 'evidence:later', press: true, answers: 'evidence', next: question('wishes') },
    { input: 'wishes:advice', press: true, answers: 'wishes', next: question('contact') },
    { input: 'contact:chat', press: true, answers: 'contact', next: localeText('report.summaryIntro') },
    { input: 'report:submit', press: true, answers: 'summary', next: localeText('report.submitted') },
  ];
}

/** The reference number in the bot's texts. */
export function refIn(text: string): string {
  const match = REF.exec(text);
  assert.ok(match, `no reference number in: ${text}`);
  return match[0];
}

/** Every answer of reportSteps() is in the stored report: nothing lost, nothing mixed up. */
export function assertCompleteReport(report: FullReport | undefined, description: string): void {
  assert.ok(report, 'the report is stored');
  assert.equal(report.status, 'received');
  assert.equal(report.content.description, description);
  assert.equal(report.facts.role, 'victim');
  assert.match(report.facts.incidentDate ?? '', /^\d{4}-\d{2}-\d{2}$/, 'the date was understood');
  assert.equal(report.content.whenText, 'vorige week dinsdag');
  assert.equal(report.facts.moment, 'during');
  assert.equal(report.content.organisation, 'Bakkerij De Korenaar');
  assert.equal(report.consent?.given, true);
  assert.deepEqual(report.facts.grounds, ['origin']);
  assert.equal(report.facts.level, 'mbo');
  assert.equal(report.facts.evidenceStatus, 'later');
  assert.deepEqual(report.facts.wishes, ['advice']);
  assert.equal(report.facts.contactMethod, 'chat');
}
