import assert from 'node:assert/strict';
import { isOpen, nextOpening, parseOfficeHours } from '../../src/handoff/officeHours';

describe('counsellor office hours (Europe/Amsterdam)', () => {
  const hours = parseOfficeHours('mon-thu 09:00-17:00, fri 09:00-12:00');

  it('is open inside the ranges and closed outside, in Amsterdam time (summer and winter)', () => {
    assert.equal(isOpen(hours, new Date('2026-11-25T08:30:00Z')), true); // Wed 09:30 CET
    assert.equal(isOpen(hours, new Date('2026-11-25T07:30:00Z')), false); // Wed 08:30 CET
    assert.equal(isOpen(hours, new Date('2026-11-27T11:30:00Z')), false); // Fri 12:30 CET
    assert.equal(isOpen(hours, new Date('2026-07-01T15:30:00Z')), false); // Wed 17:30 CEST
    assert.equal(isOpen(hours, new Date('2026-07-01T14:30:00Z')), true); // Wed 16:30 CEST
  });

  it('finds the next opening moment across the weekend and a clock change', () => {
    // Friday 27 Nov 2026 13:00 CET → Monday 30 Nov 09:00 CET (08:00Z).
    assert.equal(nextOpening(hours, new Date('2026-11-27T12:00:00Z'))?.toISOString(), '2026-11-30T08:00:00.000Z');
    // Saturday 24 Oct 2026 (CEST) → Monday 26 Oct 09:00 CET, after the clocks went back.
    assert.equal(nextOpening(hours, new Date('2026-10-24T10:00:00Z'))?.toISOString(), '2026-10-26T08:00:00.000Z');
  });

  it('is always open with "always"', () => {
    const always = parseOfficeHours('always');
    assert.equal(isOpen(always, new Date('2026-11-29T03:00:00Z')), true);
  });

  it('explains what is wrong with a malformed value', () => {
    assert.throws(() => parseOfficeHours('mon-fri 9-17'), /unreadable time|cannot read/);
    assert.throws(() => parseOfficeHours('fri-mon 09:00-17:00'), /backwards/);
    assert.throws(() => parseOfficeHours('moon 09:00-17:00'), /unknown day/);
  });
});
