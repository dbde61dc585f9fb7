/**
 * Reference numbers like SM-7K2D-QX9P: short, easy to read aloud, not guessable.
 * Random (about 40 bits), never sequential; no look-alike characters (0/O, 1/I/L).
 */
import crypto from 'node:crypto';

export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

export function newReference(): string {
  const pick = () => REFERENCE_ALPHABET[crypto.randomInt(REFERENCE_ALPHABET.length)];
  const block = () => Array.from({ length: 4 }, pick).join('');
  return `SM-${block()}-${block()}`;
}

export const REFERENCE_FORMAT = new RegExp(`^SM-[${REFERENCE_ALPHABET}]{4}-[${REFERENCE_ALPHABET}]{4}$`);
