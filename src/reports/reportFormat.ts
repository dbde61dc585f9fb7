/**
 * Reports as counsellors read them in the terminal, and as CSV for spreadsheets.
 */
import type { FullReport, ReportOverview } from './reportStore';
import type { ReportFacts } from './model';

const day = (d: Date) => d.toISOString().slice(0, 10);

export function formatReportList(reports: Array<ReportOverview & { lang: string; facts: ReportFacts }>): string {
  if (reports.length === 0) return 'No reports.';
  const rows = reports.map((r) => [
    r.ref,
    r.status,
    day(r.submittedAt),
    r.lang,
    r.facts.role,
    r.facts.moment,
    r.facts.grounds.join('+') || '-',
    r.facts.anonymous ? 'anonymous' : r.facts.contactMethod,
  ]);
  const header = ['REF', 'STATUS', 'SUBMITTED', 'LANG', 'ROLE', 'MOMENT', 'GROUNDS', 'CONTACT'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function formatReport(r: FullReport): string {
  const f = r.facts;
  const c = r.content;
  const lines = [
    `Report ${r.ref}  (${r.status})`,
    `Submitted: ${r.submittedAt.toISOString()}   Last change: ${r.updatedAt.toISOString()}   Language: ${r.lang}`,
    '',
    `Role: ${f.role}`,
    `When: ${c.whenText || '-'}${f.incidentDate ? ` (${f.incidentDate}, ${f.datePrecision})` : ''}`,
    `Moment: ${f.moment}`,
    `Organisation: ${c.organisation || '(not given)'}`,
    `Consent for sensitive data: ${r.consent ? `${r.consent.given ? 'given' : 'refused'} on ${r.consent.at} (text ${r.consent.textVersion}, ${r.consent.lang})` : '-'}`,
    `Grounds: ${f.grounds.join(', ') || '-'}`,
    `School: ${[f.level, c.school].filter(Boolean).join(' – ') || '-'}`,
    `Evidence: ${f.evidenceStatus}${c.evidenceDescription ? ` – ${c.evidenceDescription}` : ''}${f.fileCount ? ` (${f.fileCount} file(s))` : ''}`,
    `Wishes: ${f.wishes.join(', ') || '-'}`,
    `Contact: ${f.anonymous ? 'anonymous' : `${f.contactMethod}${c.contactValue ? ` ${c.contactValue}` : ''}`}`,
    '',
    'What happened:',
    c.description,
    '',
    'Events:',
    ...r.events.map((e) => `  ${e.at.toISOString()}  ${e.type}${e.status ? ` → ${e.status}` : ''} (${e.actor})${e.note ? `: ${e.note}` : ''}`),
  ];
  return lines.join('\n');
}

const CSV_COLUMNS = [
  'ref', 'status', 'submitted_at', 'updated_at', 'lang', 'role', 'moment', 'grounds', 'level', 'wishes', 'contact_method',
  'anonymous', 'incident_date', 'date_precision', 'evidence_status', 'file_count', 'consent_given', 'description',
  'organisation', 'school', 'when_text', 'evidence_description', 'contact_value',
] as const;

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // Quote everything that needs it, and neutralise spreadsheet formulas (=, +, -, @ at the start).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportsToCsv(reports: FullReport[]): string {
  const rows = reports.map((r) => [
    r.ref, r.status, r.submittedAt.toISOString(), r.updatedAt.toISOString(), r.lang, r.facts.role, r.facts.moment,
    r.facts.grounds.join(';'), r.facts.level, r.facts.wishes.join(';'), r.facts.contactMethod, r.facts.anonymous,
    r.facts.incidentDate, r.facts.datePrecision, r.facts.evidenceStatus, r.facts.fileCount, r.consent?.given,
    r.content.description, r.content.organisation, r.content.school, r.content.whenText, r.content.evidenceDescription,
    r.content.contactValue,
  ]);
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.map(csvCell).join(','))].join('\n') + '\n';
}
