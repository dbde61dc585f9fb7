import assert from 'node:assert/strict';
import { parseIncidentDate } from '../../src/reports/incidentDate';

// Wednesday 25 November 2026, 12:00 in Amsterdam.
const NOW = new Date('2026-11-25T11:00:00Z');

const cases: Array<[string, 'nl' | 'en', string | undefined, string]> = [
  ['vandaag', 'nl', '2026-11-25', 'day'],
  ['gisteren', 'nl', '2026-11-24', 'day'],
  ['eergisteren', 'nl', '2026-11-23', 'day'],
  ['vorige week', 'nl', '2026-11-16', 'week'],
  ['vorige week dinsdag', 'nl', '2026-11-17', 'day'],
  ['dinsdag vorige week', 'nl', '2026-11-17', 'day'],
  ['afgelopen maandag', 'nl', '2026-11-23', 'day'],
  ['3 weken geleden', 'nl', '2026-11-02', 'week'],
  ['twee maanden geleden', 'nl', '2026-09-01', 'month'],
  ['12 maart', 'nl', '2026-03-12', 'day'],
  ['12 december', 'nl', '2025-12-12', 'day'],
  ['12 maart 2025', 'nl', '2025-03-12', 'day'],
  ['in maart', 'nl', '2026-03-01', 'month'],
  ['begin december', 'nl', '2025-12-01', 'month'],
  ['vorige maand', 'nl', '2026-10-01', 'month'],
  ['12-3', 'nl', '2026-03-12', 'day'],
  ['12/03/2025', 'nl', '2025-03-12', 'day'],
  ['yesterday', 'en', '2026-11-24', 'day'],
  ['last week', 'en', '2026-11-16', 'week'],
  ['last Tuesday', 'en', '2026-11-24', 'day'],
  ['Tuesday last week', 'en', '2026-11-17', 'day'],
  ['12 March', 'en', '2026-03-12', 'day'],
  ['March 12th', 'en', '2026-03-12', 'day'],
  ['a week ago', 'en', '2026-11-16', 'week'],
  ['in March', 'en', '2026-03-01', 'month'],
  ['weet ik niet meer', 'nl', undefined, 'unknown'],
  ["I don't remember", 'en', undefined, 'unknown'],
];

describe('reading when something happened', () => {
  for (const [text, lang, date, precision] of cases) {
    it(`"${text}" → ${date ?? 'unknown'} (${precision})`, () => {
      const parsed = parseIncidentDate(text, lang, NOW);
      assert.ok(parsed.ok, `could not read "${text}"`);
      assert.equal(parsed.value.date, date);
      assert.equal(parsed.value.precision, precision);
      assert.equal(parsed.value.text, text);
    });
  }

  it('refuses a date in the future, even with a year', () => {
    assert.deepEqual(parseIncidentDate('12 maart 2027', 'nl', NOW), { ok: false, reason: 'future' });
    assert.deepEqual(parseIncidentDate('morgen', 'nl', NOW), { ok: false, reason: 'future' });
    assert.deepEqual(parseIncidentDate('tomorrow', 'en', NOW), { ok: false, reason: 'future' });
  });

  it('says so when it cannot read a date', () => {
    assert.deepEqual(parseIncidentDate('bij de bakker', 'nl', NOW), { ok: false, reason: 'unreadable' });
    assert.deepEqual(parseIncidentDate('31 februari', 'nl', NOW), { ok: false, reason: 'unreadable' });
    assert.deepEqual(parseIncidentDate('', 'nl', NOW), { ok: false, reason: 'unreadable' });
  });

  it('uses the Amsterdam calendar day, not UTC', () => {
    // 23:30 UTC on 24 Nov is already 25 Nov in Amsterdam.
    const late = new Date('2026-11-24T23:30:00Z');
    const parsed = parseIncidentDate('vandaag', 'nl', late);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.date, '2026-11-25');
  });
});
