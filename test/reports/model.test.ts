/**
 * The report schema is the last gate before special-category data (origin, religion, health) is
 * stored: strict (nothing unknown slips in) and grounds only with consent.
 */
import assert from 'node:assert/strict';
import { CONSENT_TEXT_VERSION, draftSchema, submissionSchema, type Draft } from '../../src/reports/model';

const consent = (given: boolean) => ({ given, at: '2026-11-20T10:00:00.000Z', textVersion: CONSENT_TEXT_VERSION, lang: 'nl' });

const complete: Draft = {
  description: 'Bij het sollicitatiegesprek vroegen ze waar ik echt vandaan kom.',
  role: 'victim',
  when: { date: '2026-11-18', precision: 'day', text: 'vorige week dinsdag' },
  moment: 'interview',
  organisation: '',
  consent: consent(true),
  grounds: ['origin'],
  school: '',
  evidence: { status: 'none', files: [] },
  wishes: ['heard'],
  contact: { method: 'anonymous' },
};

describe('report schema', () => {
  it('accepts a complete report with grounds when consent was given', () => {
    assert.ok(submissionSchema.safeParse(complete).success);
  });

  it('refuses unknown fields, at the top and inside nested parts', () => {
    assert.equal(submissionSchema.safeParse({ ...complete, name: 'Fatima' }).success, false);
    assert.equal(submissionSchema.safeParse({ ...complete, contact: { method: 'anonymous', phone: '0612345678' } }).success, false);
    assert.equal(submissionSchema.safeParse({ ...complete, consent: { ...consent(true), religion: 'islam' } }).success, false);
    assert.equal(draftSchema.safeParse({ description: 'x', health: 'diabetes' }).success, false);
  });

  it('refuses grounds (special-category data) without consent, and accepts the same report without them', () => {
    const refused = submissionSchema.safeParse({ ...complete, consent: consent(false) });
    assert.equal(refused.success, false);
    assert.deepEqual(refused.error?.issues.map((i) => i.path.join('.')), ['grounds']);
    assert.ok(submissionSchema.safeParse({ ...complete, consent: consent(false), grounds: undefined }).success);
  });

  it('refuses a report without a consent record at all', () => {
    assert.equal(submissionSchema.safeParse({ ...complete, consent: undefined }).success, false);
  });

  it('keeps an address only for contact by e-mail or phone', () => {
    assert.equal(submissionSchema.safeParse({ ...complete, contact: { method: 'email' } }).success, false);
    assert.equal(submissionSchema.safeParse({ ...complete, contact: { method: 'anonymous', value: 'a@b.nl' } }).success, false);
    assert.ok(submissionSchema.safeParse({ ...complete, contact: { method: 'email', value: 'a@b.nl' } }).success);
  });
});
