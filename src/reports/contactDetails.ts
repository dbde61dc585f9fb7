/**
 * Checks the e-mail address or phone number a student gives for follow-up.
 */
import { z } from 'zod';

const email = z.string().email();

export type ContactParse =
  | { kind: 'email'; value: string }
  | { kind: 'phone'; value: string }
  | { kind: 'invalidEmail' }
  | { kind: 'invalidPhone' }
  | { kind: 'none' };

/** Reads an e-mail address or phone number from free text, or says why it is not valid. */
export function parseContactDetails(text: string): ContactParse {
  const trimmed = text.trim();
  const emailCandidate = /[^\s<>()"',;:]+@[^\s<>()"',;:]*/.exec(trimmed)?.[0]?.replace(/[.]+$/, '');
  if (emailCandidate) {
    const lower = emailCandidate.toLowerCase();
    return email.safeParse(lower).success && /\.[a-z]{2,}$/.test(lower) ? { kind: 'email', value: lower } : { kind: 'invalidEmail' };
  }
  const phoneCandidate = /(\+|00)?[\d][\d\s().-]{6,}\d/.exec(trimmed)?.[0];
  if (phoneCandidate) {
    const digits = phoneCandidate.replace(/[^\d+]/g, '').replace(/^00/, '+');
    const national = /^0\d{9}$/.test(digits); // 06 12345678, 070 1234567
    const international = /^\+\d{10,15}$/.test(digits);
    return national || international ? { kind: 'phone', value: digits } : { kind: 'invalidPhone' };
  }
  return { kind: 'none' };
}
