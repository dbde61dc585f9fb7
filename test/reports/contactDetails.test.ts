import assert from 'node:assert/strict';
import { parseContactDetails } from '../../src/reports/contactDetails';

describe('contact details a student gives', () => {
  it('accepts e-mail addresses and phone numbers in common forms', () => {
    assert.deepEqual(parseContactDetails('sara.b@Example.nl'), { kind: 'email', value: 'sara.b@example.nl' });
    assert.deepEqual(parseContactDetails('mail me op sara@school.nl.'), { kind: 'email', value: 'sara@school.nl' });
    assert.deepEqual(parseContactDetails('06-12345678'), { kind: 'phone', value: '0612345678' });
    assert.deepEqual(parseContactDetails('+31 6 1234 5678'), { kind: 'phone', value: '+31612345678' });
    assert.deepEqual(parseContactDetails('0031612345678'), { kind: 'phone', value: '+31612345678' });
  });

  it('tells an invalid address from no address at all', () => {
    assert.deepEqual(parseContactDetails('sara@school'), { kind: 'invalidEmail' });
    assert.deepEqual(parseContactDetails('sara@@school.nl'), { kind: 'invalidEmail' });
    assert.deepEqual(parseContactDetails('0612 34'), { kind: 'none' });
    assert.deepEqual(parseContactDetails('061234567'), { kind: 'invalidPhone' });
    assert.deepEqual(parseContactDetails('via de chat graag'), { kind: 'none' });
  });
});
