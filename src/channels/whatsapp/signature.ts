/**
 * Proof that a webhook call comes from Meta: `X-Hub-Signature-256: sha256=<hex>` is an HMAC-SHA256
 * of the raw request bytes, keyed with the app secret. It must be computed over the bytes as they
 * arrived: Meta serialises JSON differently from JSON.stringify (escaped Unicode, `@`, emoji), so a
 * re-serialised body would not match.
 */
import crypto from 'node:crypto';

const HEADER_FORMAT = /^sha256=([0-9a-fA-F]{64})$/;

/** The header value Meta would send for this body (used by tests and in docs/whatsapp.md). */
export function signatureHeader(rawBody: Buffer, appSecret: string): string {
  return `sha256=${crypto.createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** True only for a well-formed header whose HMAC matches; never throws on odd input. */
export function verifySignature(rawBody: Buffer, header: string | string[] | undefined, appSecret: string): boolean {
  if (typeof header !== 'string') return false;
  const match = HEADER_FORMAT.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  const expected = crypto.createHmac('sha256', appSecret).update(rawBody).digest();
  // timingSafeEqual throws on different lengths; the regex already fixes the length, this keeps it explicit.
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/**
 * Compares a secret from a request with the configured one in constant time. Hashing both sides
 * first gives equal lengths, so not even the length of the token leaks through timing.
 */
export function secretsMatch(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given, 'utf8').digest();
  const b = crypto.createHash('sha256').update(expected, 'utf8').digest();
  return crypto.timingSafeEqual(a, b);
}
