/**
 * Encryption at rest for what students type (AES-256-GCM: authenticated, so tampering is detected)
 * and keyed pseudonyms for ids that must not reveal a phone number.
 *
 * The master key comes from REPORT_ENCRYPTION_KEY, or for local use from a key file that is created
 * in the data folder on first start. Sub-keys are derived with HKDF so one secret serves both uses.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';

const FORMAT = 'v1';

export class Cipher {
  private readonly encryptionKey: Buffer;
  private readonly pseudonymKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.encryptionKey = Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), 'stagemaatje:encryption', 32));
    this.pseudonymKey = Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), 'stagemaatje:pseudonym', 32));
  }

  encrypt(plaintext: string): string {
    return this.encryptBytes(Buffer.from(plaintext, 'utf8'));
  }

  decrypt(sealed: string): string {
    return this.decryptBytes(sealed).toString('utf8');
  }

  encryptBytes(plain: Buffer): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return [FORMAT, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decryptBytes(sealed: string): Buffer {
    const [format, iv, tag, body] = sealed.split('.');
    if (format !== FORMAT || !iv || !tag || body === undefined) throw new Error('not an encrypted value');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  }

  encryptJson(value: unknown): string {
    return this.encrypt(JSON.stringify(value));
  }

  decryptJson<T>(sealed: string): T {
    return JSON.parse(this.decrypt(sealed)) as T;
  }

  /** A stable, non-reversible id for a value (e.g. a WhatsApp number), `length` hex characters long. */
  pseudonym(value: string, length = 24): string {
    return crypto.createHmac('sha256', this.pseudonymKey).update(value).digest('hex').slice(0, length);
  }
}

/** Loads the master key from config, or from (or into) `<dataDir>/encryption.key` for local use. */
export function loadMasterKey(configured: string | undefined, dataDir: string, logger: Logger): Buffer {
  if (configured) return Buffer.from(configured, 'base64');
  const file = path.resolve(dataDir, 'encryption.key');
  if (fs.existsSync(file)) return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  fs.mkdirSync(dataDir, { recursive: true });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  logger.warn(
    { event: 'encryption_key_generated', file },
    'REPORT_ENCRYPTION_KEY is not set: generated a local encryption key file. Keep it safe; without it stored reports cannot be read. Set REPORT_ENCRYPTION_KEY in production.',
  );
  return key;
}
