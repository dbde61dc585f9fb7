/**
 * Reads when something happened from what a student types, in Dutch or English:
 * "gisteren", "vorige week dinsdag", "3 weken geleden", "12 maart", "last Tuesday", "in March".
 *
 * Common phrases are handled by our own rules, because chrono-node's Dutch parser gets some of them
 * wrong ("vorige week dinsdag" becomes this week's Tuesday, "12 maart" becomes next March). chrono
 * handles the rest. A past event can never be in the future: a date without a year that would be
 * in the future means last year; anything else in the future is refused.
 * Dates are calendar days in Amsterdam.
 */
import * as chrono from 'chrono-node';
import type { Lang } from '../i18n/i18n';
import { keywordForm } from '../text/normalize';
import type { IncidentDate } from './model';

export type DateParse = { ok: true; value: IncidentDate } | { ok: false; reason: 'unreadable' | 'future' };

interface Day { y: number; m: number; d: number }

const toUtc = (day: Day) => Date.UTC(day.y, day.m - 1, day.d);
const fromUtc = (ms: number): Day => {
  const date = new Date(ms);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
};
const addDays = (day: Day, n: number) => fromUtc(toUtc(day) + n * 86_400_000);
const iso = (day: Day) => `${day.y}-${String(day.m).padStart(2, '0')}-${String(day.d).padStart(2, '0')}`;
/** ISO weekday, 1 = Monday. */
const weekday = (day: Day) => ((new Date(toUtc(day)).getUTCDay() + 6) % 7) + 1;
const mondayOf = (day: Day) => addDays(day, 1 - weekday(day));

function addMonths(day: Day, n: number): Day {
  const total = day.y * 12 + (day.m - 1) + n;
  return { y: Math.floor(total / 12), m: (total % 12) + 1, d: 1 };
}

// Built once: making an Intl.DateTimeFormat costs far more than using one.
const AMSTERDAM_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });

export function amsterdamToday(now: Date): Day {
  const [y, m, d] = AMSTERDAM_DATE
    .format(now)
    .split('-')
    .map(Number);
  return { y: y!, m: m!, d: d! };
}

const MONTHS: Record<string, number> = {
  januari: 1, jan: 1, january: 1, februari: 2, feb: 2, february: 2, maart: 3, mrt: 3, march: 3, mar: 3,
  april: 4, apr: 4, mei: 5, may: 5, juni: 6, jun: 6, june: 6, juli: 7, jul: 7, july: 7, augustus: 8,
  aug: 8, august: 8, september: 9, sep: 9, sept: 9, oktober: 10, okt: 10, october: 10, oct: 10,
  november: 11, nov: 11, december: 12, dec: 12,
};
const WEEKDAYS: Record<string, number> = {
  maandag: 1, dinsdag: 2, woensdag: 3, donderdag: 4, vrijdag: 5, zaterdag: 6, zondag: 7,
  monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7,
  ma: 1, di: 2, wo: 3, do: 4, vr: 5, za: 6, zo: 7, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7,
};
const NUMBER_WORDS: Record<string, number> = {
  een: 1, n: 1, twee: 2, drie: 3, vier: 4, vijf: 5, zes: 6, zeven: 7, acht: 8, negen: 9, tien: 10,
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  paar: 2, couple: 2, few: 3,
};

const UNKNOWN = /^(weet ik niet( meer)?( precies)?|weet niet( meer)?|geen idee|ik weet het niet( meer)?( precies)?|vergeten|ben het vergeten|idk|(i )?don ?t know|(i )?do not know|not sure|no idea|(i )?can ?t remember|(i )?cannot remember|(i )?don ?t remember|(i )?forgot|i forget)$/;

function unit(word: string): 'day' | 'week' | 'month' | 'year' | undefined {
  if (/^(dag|dagen|day|days)$/.test(word)) return 'day';
  if (/^(week|weken|weeks)$/.test(word)) return 'week';
  if (/^(maand|maanden|month|months)$/.test(word)) return 'month';
  if (/^(jaar|jaren|year|years)$/.test(word)) return 'year';
  return undefined;
}

function result(day: Day, precision: IncidentDate['precision'], text: string): IncidentDate {
  return { date: iso(day), precision, text };
}

/** The most recent given weekday on or before `today`. */
function lastWeekday(today: Day, target: number): Day {
  return addDays(today, -((weekday(today) - target + 7) % 7));
}

function ourRules(form: string, today: Day, text: string): IncidentDate | undefined {
  if (/^(vandaag|today|vanochtend|vanmiddag|this morning|this afternoon)$/.test(form)) return result(today, 'day', text);
  if (/^(gisteren|yesterday|gisteravond|last night)$/.test(form)) return result(addDays(today, -1), 'day', text);
  if (/^(eergisteren|the day before yesterday)$/.test(form)) return result(addDays(today, -2), 'day', text);
  if (/^(vorige|afgelopen|last) (week)$/.test(form)) return result(mondayOf(addDays(today, -7)), 'week', text);
  if (/^(deze week|this week)$/.test(form)) return result(mondayOf(today), 'week', text);
  if (/^(vorige|afgelopen|last) (maand|month)$/.test(form)) return result(addMonths(today, -1), 'month', text);
  if (/^(deze maand|this month)$/.test(form)) return result(addMonths(today, 0), 'month', text);
  if (/^(vorig jaar|afgelopen jaar|last year)$/.test(form)) return result({ y: today.y - 1, m: 1, d: 1 }, 'year', text);

  // "3 weken geleden", "a week ago", "twee maanden geleden"
  const ago = /^(?:ongeveer |about |around |zo ?n )?(\d+|[a-z]+) (dag|dagen|day|days|week|weken|weeks|maand|maanden|month|months|jaar|jaren|year|years) (geleden|ago)$/.exec(form);
  if (ago) {
    const n = /^\d+$/.test(ago[1]!) ? Number(ago[1]) : NUMBER_WORDS[ago[1]!];
    const u = unit(ago[2]!);
    if (n !== undefined && u) {
      if (u === 'day') return result(addDays(today, -n), 'day', text);
      if (u === 'week') return result(mondayOf(addDays(today, -7 * n)), 'week', text);
      if (u === 'month') return result(addMonths(today, -n), 'month', text);
      return result({ y: today.y - n, m: 1, d: 1 }, 'year', text);
    }
  }

  // "vorige week dinsdag", "dinsdag vorige week", "tuesday last week"
  const dayLastWeek = /^(?:(?:vorige|afgelopen) week (\p{L}+)|(\p{L}+) (?:vorige|afgelopen|last) week)$/u.exec(form);
  if (dayLastWeek) {
    const target = WEEKDAYS[(dayLastWeek[1] ?? dayLastWeek[2])!];
    if (target) return result(addDays(mondayOf(addDays(today, -7)), target - 1), 'day', text);
  }
  // "afgelopen dinsdag", "last tuesday", "dinsdag", "on tuesday"
  const lastDay = /^(?:(?:afgelopen|vorige|last|on|op) )?(\p{L}+)$/u.exec(form);
  if (lastDay && WEEKDAYS[lastDay[1]!] && lastDay[1]!.length > 3) {
    return result(lastWeekday(today, WEEKDAYS[lastDay[1]!]!), 'day', text);
  }

  // "12 maart", "12 maart 2025", "march 12", "12th of march", "march 12th 2025"
  const dm =
    /^(?:op |on )?(\d{1,2})(?:st|nd|rd|th|e|ste|de)? (?:of )?(\p{L}+)(?: (\d{4}))?$/u.exec(form) ??
    (() => {
      const md = /^(?:op |on )?(\p{L}+) (\d{1,2})(?:st|nd|rd|th)?(?: (\d{4}))?$/u.exec(form);
      return md ? ([md[0], md[2], md[1], md[3]] as unknown as RegExpExecArray) : null;
    })();
  if (dm && MONTHS[dm[2]!]) {
    return dayOfMonth(Number(dm[1]), MONTHS[dm[2]!]!, dm[3] ? Number(dm[3]) : undefined, today, text);
  }

  // "maart", "in maart", "begin maart", "eind maart 2025", "in march", "early march"
  const month = /^(?:in |begin |eind |half |midden |early |late |mid |halverwege )?(\p{L}+)(?: (\d{4}))?$/u.exec(form);
  if (month && MONTHS[month[1]!] && month[1]!.length >= 3) {
    const m = MONTHS[month[1]!]!;
    let y = month[2] ? Number(month[2]) : today.y;
    if (!month[2] && m > today.m) y -= 1;
    return result({ y, m, d: 1 }, 'month', text);
  }

  // "12-3", "12/03/2025", "2025-03-12" (Dutch order: day first)
  const numeric = /^(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2,4}))?$/.exec(text.trim());
  if (numeric) {
    const year = numeric[3] ? (numeric[3].length === 2 ? 2000 + Number(numeric[3]) : Number(numeric[3])) : undefined;
    return dayOfMonth(Number(numeric[1]), Number(numeric[2]), year, today, text);
  }
  const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (isoDate) return dayOfMonth(Number(isoDate[3]), Number(isoDate[2]), Number(isoDate[1]), today, text);
  return undefined;
}

function dayOfMonth(d: number, m: number, y: number | undefined, today: Day, text: string): IncidentDate | undefined {
  if (m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  let year = y ?? today.y;
  // A date without a year that lies ahead means last year's.
  if (y === undefined && toUtc({ y: year, m, d }) > toUtc(today)) year -= 1;
  const candidate = { y: year, m, d };
  if (fromUtc(toUtc(candidate)).d !== d) return undefined; // 31 februari
  return result(candidate, 'day', text);
}

export function parseIncidentDate(text: string, lang: Lang, now: Date): DateParse {
  const trimmed = text.trim().slice(0, 200);
  const form = keywordForm(trimmed).replace(/\s+/g, ' ');
  if (!form) return { ok: false, reason: 'unreadable' };
  const today = amsterdamToday(now);
  if (UNKNOWN.test(form)) return { ok: true, value: { precision: 'unknown', text: trimmed } };

  let found = ourRules(form, today, trimmed);
  if (!found) {
    const parsers = lang === 'nl' ? [chrono.nl, chrono.en] : [chrono.en, chrono.nl];
    for (const parser of parsers) {
      const [hit] = parser.parse(trimmed, { instant: now, timezone: 'CET' }, { forwardDate: false });
      if (!hit) continue;
      const start = hit.start;
      let day: Day = { y: start.get('year') ?? today.y, m: start.get('month') ?? today.m, d: start.get('day') ?? 1 };
      if (!start.isCertain('year') && toUtc(day) > toUtc(today)) day = { ...day, y: day.y - 1 };
      found = result(day, start.isCertain('day') ? 'day' : 'month', trimmed);
      break;
    }
  }
  if (!found?.date) return { ok: false, reason: 'unreadable' };
  const [y, m, d] = found.date.split('-').map(Number) as [number, number, number];
  if (toUtc({ y, m, d }) > toUtc(today)) return { ok: false, reason: 'future' };
  if (y < 1990) return { ok: false, reason: 'unreadable' };
  return { ok: true, value: found };
}
