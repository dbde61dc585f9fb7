import assert from 'node:assert/strict';
import { secretsMatch, signatureHeader, verifySignature } from '../../../src/channels/whatsapp/signature';
import { APP_SECRET, fixture } from './harness';

describe('WhatsApp webhook signature', () => {
  it('matches the test vector of contracts.md §3 (whatsapp-text.json, exact bytes)', () => {
    const raw = fixture('whatsapp-text.json');
    assert.equal(raw.length, 991);
    const expected = 'sha256=be7dc6f346ebb21d5311c26416e790c659764b3d0cea871dcca651f898b8d46d';
    assert.equal(signatureHeader(raw, 'test-app-secret'), expected);
    assert.equal(verifySignature(raw, expected, 'test-app-secret'), true);
  });

  it('refuses a forged, missing, truncated, unprefixed or repeated header without throwing', () => {
    const raw = fixture('whatsapp-text.json');
    const good = signatureHeader(raw, APP_SECRET);
    const hex = good.slice('sha256='.length);
    const cases: Array<[string, string | string[] | undefined]> = [
      ['forged (other secret)', signatureHeader(raw, 'not-the-secret')],
      ['missing', undefined],
      ['empty', ''],
      ['wrong length', `sha256=${hex.slice(0, 40)}`],
      ['too long', `sha256=${hex}00`],
      ['without the sha256= prefix', hex],
      ['sha1 prefix', `sha1=${hex}`],
      ['not hex', `sha256=${'z'.repeat(64)}`],
      ['two headers', [good, good]],
    ];
    for (const [name, header] of cases) {
      assert.equal(verifySignature(raw, header, APP_SECRET), false, name);
    }
    assert.equal(verifySignature(raw, good, APP_SECRET), true);
    assert.equal(verifySignature(Buffer.concat([raw, Buffer.from(' ')]), good, APP_SECRET), false, 'one extra byte');
  });

  it('is computed over the raw bytes: @, é, emoji, Arabic and escaped \\u00e9 verify, re-serialised JSON does not', () => {
    const raw = Buffer.from(
      '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"text":{"body":"sara@school.nl caf\\u00e9 café 😀 👩🏽‍🎓 مرحبا \\/ \\ud83d\\ude00"}}]}}]}]}',
      'utf8',
    );
    const header = signatureHeader(raw, APP_SECRET);
    assert.equal(verifySignature(raw, header, APP_SECRET), true);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
    assert.notDeepEqual(reserialised, raw, 'JSON.stringify writes é and emoji differently');
    assert.equal(verifySignature(reserialised, header, APP_SECRET), false);
  });

  it('compares verify tokens in constant time, whatever their length', () => {
    assert.equal(secretsMatch('token', 'token'), true);
    assert.equal(secretsMatch('token', 'token2'), false);
    assert.equal(secretsMatch('', 'token'), false);
  });
});
