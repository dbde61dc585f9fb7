/**
 * Text hygiene for everything that comes from outside (students, counsellors, webhooks).
 *
 * - Stored text is NFC (same bytes for the same visible text), capped on a grapheme boundary.
 * - Control characters and bidi overrides are removed: they can make a counsellor's view or a log
 *   line show something other than what was sent (U+202E "right-to-left override" tricks).
 * - Keyword matching ("stop", "help") uses a looser form: NFKC (full-width letters become ASCII),
 *   accents removed, lower case without locale surprises (Turkish İ/ı).
 */

// C0/C1 controls except tab and newline; DEL.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// Bidi embedding/override/isolate controls, line/paragraph separators, BOM and invisible formatting.
const BIDI_AND_INVISIBLE = /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u2028\u2029]/g;
// A zero-width joiner is only legitimate inside an emoji sequence (👩🏽‍🎓); elsewhere it hides text.
// eslint-disable-next-line no-misleading-character-class -- the joiner is matched alone on purpose
const STRAY_ZWJ = /(?<!\p{Extended_Pictographic}[\u{1F3FB}-\u{1F3FF}\uFE0F]?)\u200D|\u200D(?!\p{Extended_Pictographic})/gu;

export function stripUnsafeCharacters(text: string): string {
  return text.replace(CONTROL, '').replace(BIDI_AND_INVISIBLE, '').replace(STRAY_ZWJ, '');
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cuts text to at most `maxChars` UTF-16 code units without splitting a grapheme (emoji, accents, surrogate pairs). */
export function capText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  let end = 0;
  for (const { segment, index } of segmenter.segment(text)) {
    if (index + segment.length > maxChars) break;
    end = index + segment.length;
  }
  return { text: text.slice(0, end), truncated: true };
}

/** Inbound free text as we store and process it. */
export function normalizeInbound(text: string | undefined | null, maxChars: number): { text: string; truncated: boolean } {
  if (!text) return { text: '', truncated: false };
  const cleaned = stripUnsafeCharacters(text.normalize('NFC')).replace(/\r\n?/g, '\n').trim();
  return capText(cleaned, maxChars);
}

/**
 * Longest "word" the loose form keeps. No command, label or handbook word comes near it, and the
 * handbook search (typo correction, compound splitting) takes time that grows much faster than a
 * word's length: one 4,000-letter "word" kept the process busy for half a minute.
 */
export const MAX_KEYWORD_LENGTH = 40;

/** Loose form for comparing commands and choices: "ＳＴＯＰ", "Stop!", "stóp" all become "stop". */
export function keywordForm(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[İI]/g, 'i')
    .replace(/ı/g, 'i')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}@.+#/]+/gu, ' ')
    .split(' ')
    .filter((word) => word.length <= MAX_KEYWORD_LENGTH)
    .join(' ')
    .trim();
}

/**
 * Escapes text for Teams (Adaptive Card TextBlocks and messages render Markdown),
 * so a student cannot inject links, emphasis or mentions into what counsellors see.
 */
export function escapeMarkdown(text: string): string {
  return stripUnsafeCharacters(text)
    .replace(/[\\`*_{}[\]()#+\-.!|>~<&]/g, (ch) => `\\${ch}`)
    .replace(/\n/g, '  \n');
}

/** Truncates a label (button title, list row) to `max` characters, never splitting a character. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  return capText(text, Math.max(1, max - 1)).text.trimEnd() + '…';
}
