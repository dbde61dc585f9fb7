/**
 * Recognises what a student says that works at every prompt: help, menu, stop, a language switch,
 * asking for a person, crisis words, deleting their data. Phrases come from the locale files of all
 * languages, so "help" works for a Dutch student and "hulp" for an English one.
 */
import { i18n, SUPPORTED_LANGUAGES, type Lang } from '../src/i18n/i18n';
import { keywordForm } from '../src/text/normalize';

export type GlobalCommand =
  | { kind: 'help' }
  | { kind: 'menu' }
  | { kind: 'stop' }
  | { kind: 'language'; lang: Lang }
  | { kind: 'human' }
  | { kind: 'stopHuman' }
  | { kind: 'eraseData' }
  | { kind: 'status'; ref?: string }
  | { kind: 'report' }
  | { kind: 'resume' }
  | { kind: 'continue' };

/** Phrase lists from every locale (`commands.help`, `crisis.phrases`, ...), in keyword form. */
function phrases(key: string): string[] {
  const all = new Set<string>();
  for (const lang of SUPPORTED_LANGUAGES) {
    const list = i18n().t(key, { lng: lang, returnObjects: true }) as unknown;
    if (Array.isArray(list)) for (const p of list) all.add(keywordForm(String(p)));
  }
  return [...all].filter(Boolean);
}

const cache = new Map<string, string[]>();
function cached(key: string): string[] {
  let list = cache.get(key);
  if (!list) {
    list = phrases(key);
    cache.set(key, list);
  }
  return list;
}

function containsPhrase(form: string, phrase: string): boolean {
  return ` ${form} `.includes(` ${phrase} `);
}

/** The whole message is one of the phrases (allowing "please"/"pls" around it is done by the lists). */
function isExactly(form: string, key: string): boolean {
  return cached(key).includes(form);
}

function containsAny(form: string, key: string): boolean {
  return cached(key).some((p) => containsPhrase(form, p));
}

export const REF_PATTERN = /\bSM[\s-]?([A-Z0-9]{4})[\s-]?([A-Z0-9]{4})\b/i;

/** Reads a reference number the way a student might type it ("sm abcd efgh", "SM-ABCD-EFGH"). */
export function findReference(text: string): string | undefined {
  const match = REF_PATTERN.exec(text.toUpperCase());
  return match ? `SM-${match[1]}-${match[2]}` : undefined;
}

export function recognizeCommand(text: string): GlobalCommand | undefined {
  const form = keywordForm(text);
  if (!form) return undefined;
  for (const lang of SUPPORTED_LANGUAGES) {
    if (isExactly(form, `commands.language.${lang}`)) return { kind: 'language', lang };
  }
  if (isExactly(form, 'commands.help')) return { kind: 'help' };
  if (isExactly(form, 'commands.menu')) return { kind: 'menu' };
  if (isExactly(form, 'commands.stop')) return { kind: 'stop' };
  if (isExactly(form, 'commands.resume')) return { kind: 'resume' };
  if (containsAny(form, 'commands.eraseData')) return { kind: 'eraseData' };
  if (isExactly(form, 'commands.stopHuman') || containsAny(form, 'commands.stopHumanPhrases')) return { kind: 'stopHuman' };
  if (isExactly(form, 'commands.human') || containsAny(form, 'commands.humanPhrases')) return { kind: 'human' };
  const ref = findReference(text);
  if (isExactly(form, 'commands.status') || (ref && /^(status|stand|check)\b/.test(form))) return { kind: 'status', ref };
  if (isExactly(form, 'commands.report') || containsAny(form, 'commands.reportPhrases')) {
    // "hoe kan ik melden?" is a question about reporting, answered from the handbook.
    if (!cached('commands.questionStarts').some((q) => form.startsWith(`${q} `))) return { kind: 'report' };
  }
  return undefined;
}

export type CrisisKind = 'selfHarm' | 'danger';

/** Crisis words (suicide, self-harm, threats of violence) in any supported language. */
export function detectCrisis(text: string): CrisisKind | undefined {
  const form = keywordForm(text);
  if (!form) return undefined;
  if (containsAny(form, 'crisis.selfHarmPhrases')) return 'selfHarm';
  if (containsAny(form, 'crisis.dangerPhrases')) return 'danger';
  return undefined;
}

/** Words that show a student is having a hard time; the bot then offers a person. */
export function detectDistress(text: string): boolean {
  return containsAny(keywordForm(text), 'distress.phrases');
}

/** "ja"/"yes"/"ok" and "nee"/"no" typed instead of pressing a button. */
export function yesNo(text: string): 'yes' | 'no' | undefined {
  const form = keywordForm(text);
  if (isExactly(form, 'commands.yes')) return 'yes';
  if (isExactly(form, 'commands.no')) return 'no';
  return undefined;
}

/** "hoi", "hi", "goedemorgen": a greeting and nothing else. */
export function isGreeting(text: string): boolean {
  return isExactly(keywordForm(text), 'commands.greeting');
}
