import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cipher, loadMasterKey } from '../../src/storage/crypto';
import { silentLogger } from '../../src/logger';

describe('encryption at rest', () => {
  const cipher = new Cipher(Buffer.alloc(32, 1));

  it('round-trips text and bytes, with a fresh nonce each time', () => {
    const sealed = cipher.encrypt('geheim 👀');
    assert.equal(cipher.decrypt(sealed), 'geheim 👀');
    assert.notEqual(cipher.encrypt('geheim 👀'), sealed);
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(cipher.decryptBytes(cipher.encryptBytes(bytes)), bytes);
  });

  it('detects tampering and a wrong key', () => {
    const sealed = cipher.encrypt('geheim');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('xxxxxx').toString('base64url');
    assert.throws(() => cipher.decrypt(parts.join('.')));
    assert.throws(() => new Cipher(Buffer.alloc(32, 2)).decrypt(sealed));
  });

  it('makes stable pseudonyms that do not reveal the input', () => {
    const a = cipher.pseudonym('31600000001');
    assert.equal(a, cipher.pseudonym('31600000001'));
    assert.notEqual(a, cipher.pseudonym('31600000002'));
    assert.ok(!a.includes('316'));
  });

  it('creates a local key file once when no key is configured', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagemaatje-key-'));
    const first = loadMasterKey(undefined, dir, silentLogger);
    const second = loadMasterKey(undefined, dir, silentLogger);
    assert.deepEqual(first, second);
    assert.equal(first.length, 32);
    assert.equal(fs.statSync(path.join(dir, 'encryption.key')).mode & 0o777, 0o600);
  });
});
