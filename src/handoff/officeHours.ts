/**
 * Counsellors' office hours (COUNSELLOR_HOURS), always in the Europe/Amsterdam time zone.
 *
 * Accepted forms: `always`, or comma-separated ranges such as
 * `mon-fri 09:00-17:00` or `mon-thu 09:00-17:00, fri 09:00-12:00`.
 * Day names may be English (mon..sun) or Dutch (ma..zo).
 */
export const OFFICE_TIME_ZONE = 'Europe/Amsterdam';

export interface OfficeRange {
  /** ISO weekday numbers, 1 = Monday .. 7 = Sunday. */
  days: number[];
  /** Minutes after local midnight. */
  start: number;
  end: number;
}

export interface OfficeHours {
  always: boolean;
  ranges: OfficeRange[];
}

const DAY_NAMES: Record<string, number> = {
  mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7,
  ma: 1, di: 2, wo: 3, do: 4, vr: 5, za: 6, zo: 7,
};

function parseDay(name: string, input: string): number {
  const day = DAY_NAMES[name.toLowerCase()];
  if (!day) throw new Error(`unknown day "${name}" in "${input}" (use mon, tue, wed, thu, fri, sat, sun)`);
  return day;
}

function parseTime(text: string, input: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) throw new Error(`unreadable time "${text}" in "${input}" (use HH:MM)`);
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 24 || minutes > 59 || (hours === 24 && minutes > 0)) throw new Error(`impossible time "${text}" in "${input}"`);
  return hours * 60 + minutes;
}

export function parseOfficeHours(input: string): OfficeHours {
  const text = input.trim();
  if (/^always$/i.test(text) || text === '24/7') return { always: true, ranges: [] };
  if (!text) throw new Error('is empty (use e.g. "mon-fri 09:00-17:00" or "always")');
  const ranges = text.split(',').map((part) => {
    const match = /^([a-z]+)(?:\s*-\s*([a-z]+))?\s+(\S+)\s*-\s*(\S+)$/i.exec(part.trim());
    if (!match) throw new Error(`cannot read "${part.trim()}" (use e.g. "mon-fri 09:00-17:00, sat 10:00-12:00" or "always")`);
    const from = parseDay(match[1]!, part);
    const to = match[2] ? parseDay(match[2], part) : from;
    if (to < from) throw new Error(`day range "${match[1]}-${match[2]}" runs backwards`);
    const start = parseTime(match[3]!, part);
    const end = parseTime(match[4]!, part);
    if (end <= start) throw new Error(`closing time must be after opening time in "${part.trim()}"`);
    const days: number[] = [];
    for (let d = from; d <= to; d++) days.push(d);
    return { days, start, end };
  });
  return { always: false, ranges };
}

interface LocalTime { year: number; month: number; day: number; weekday: number; minutes: number }

const formatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: OFFICE_TIME_ZONE,
  year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
  hourCycle: 'h23',
});
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function localTime(instant: Date): LocalTime {
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS[parts.weekday as string] ?? 1,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The UTC instant of a wall-clock time in Amsterdam (handles summer time). */
function amsterdamToUtc(year: number, month: number, day: number, minutes: number): Date {
  const wanted = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const local = localTime(new Date(guess));
    const shownAsUtc = Date.UTC(local.year, local.month - 1, local.day, 0, local.minutes);
    guess += wanted - shownAsUtc;
  }
  return new Date(guess);
}

export function isOpen(hours: OfficeHours, at: Date): boolean {
  if (hours.always) return true;
  const local = localTime(at);
  return hours.ranges.some((r) => r.days.includes(local.weekday) && local.minutes >= r.start && local.minutes < r.end);
}

/** The next moment counsellors are available (now, if they are), or undefined if never. */
export function nextOpening(hours: OfficeHours, from: Date): Date | undefined {
  if (isOpen(hours, from)) return from;
  const today = localTime(from);
  let best: Date | undefined;
  for (let offset = 0; offset <= 7; offset++) {
    const base = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    const weekday = ((today.weekday - 1 + offset) % 7) + 1;
    for (const range of hours.ranges) {
      if (!range.days.includes(weekday)) continue;
      const opening = amsterdamToUtc(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), range.start);
      if (opening > from && (!best || opening < best)) best = opening;
    }
    if (best) return best;
  }
  return best;
}
