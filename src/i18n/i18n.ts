/**
 * Every sentence a user sees comes from locales/<lang>/translation.json through i18next.
 * Dutch is the default and the fallback; adding a language is adding a folder under locales/.
 */
import fs from 'node:fs';
import path from 'node:path';
import i18next, { type i18n as I18n, type TOptions } from 'i18next';
import { projectRoot } from '../paths';

export const SUPPORTED_LANGUAGES = ['nl', 'en'] as const;
export type Lang = (typeof SUPPORTED_LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Lang = 'nl';

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (SUPPORTED_LANGUAGES as readonly string[]).includes(value);
}

export type Translate = (key: string, options?: TOptions) => string;

let instance: I18n | undefined;

function loadResources(): Record<string, { translation: Record<string, unknown> }> {
  const dir = path.join(projectRoot(), 'locales');
  const resources: Record<string, { translation: Record<string, unknown> }> = {};
  for (const lang of SUPPORTED_LANGUAGES) {
    const file = path.join(dir, lang, 'translation.json');
    resources[lang] = { translation: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> };
  }
  return resources;
}

/** The shared i18next instance, initialised synchronously on first use. */
export function i18n(): I18n {
  if (instance) return instance;
  const created = i18next.createInstance();
  void created.init({
    resources: loadResources(),
    lng: DEFAULT_LANGUAGE,
    fallbackLng: DEFAULT_LANGUAGE,
    supportedLngs: [...SUPPORTED_LANGUAGES],
    initAsync: false,
    returnNull: false,
    interpolation: { escapeValue: false },
    // A missing key is a bug; fail loudly in tests instead of showing "report.when.ask" to a student.
    saveMissing: false,
  });
  instance = created;
  return created;
}

export function translator(lang: Lang): Translate {
  const t = i18n().getFixedT(lang);
  return (key, options) => t(key, options) as string;
}

/** True when the key exists in the given language (no fallback). */
export function hasTranslation(lang: Lang, key: string): boolean {
  return i18n().exists(key, { lng: lang, fallbackLng: false });
}
