/**
 * One question in, one decision out: the same decision the bot makes in chat, without a server.
 * Used by `npm run ask` and `npm run eval`.
 */
import { chooseLanguage, detectLocally } from '../i18n/languageDetection';
import { DEFAULT_LANGUAGE, type Lang } from '../i18n/i18n';
import { normalizeInbound } from '../text/normalize';
import type { Answerer } from './answerer';

export interface AskResult {
  question: string;
  lang: Lang;
  /** The topic the bot would answer with, or null when it would say it does not know. */
  id: string | null;
  score: number;
  answer: string;
}

export function ask(answerer: Answerer, question: string): AskResult {
  const { text } = normalizeInbound(question, 4000);
  const lang = chooseLanguage(undefined, text, detectLocally(text), DEFAULT_LANGUAGE);
  const result = answerer.answer(text, lang);
  const entry = result.kind === 'answer' ? result.entry : result.kind === 'didYouMean' ? result.candidates[0] : undefined;
  return {
    question,
    lang,
    id: entry?.id ?? null,
    score: Math.round(result.confidence * 1000) / 1000,
    answer: entry?.answer.trim() ?? '',
  };
}
