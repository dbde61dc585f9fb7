/**
 * Turns text into search terms: loose normal form, stop words out, Snowball stemming, and for Dutch
 * splitting of compound words ("stagediscriminatie" → stage + discriminatie) against the handbook's
 * own vocabulary, because students and the handbook often glue or split the same words differently.
 */
import { newStemmer } from 'snowball-stemmers';
import type { Lang } from '../i18n/i18n';
import { keywordForm } from '../text/normalize';
import { STOP_WORDS, SPELLING_VARIANTS } from './stopWords';

const stemmers = { nl: newStemmer('dutch'), en: newStemmer('english') } satisfies Record<Lang, { stem(w: string): string }>;

export class Analyzer {
  /** Stems of every word in the handbook of this language, used to split compounds. */
  private readonly vocabulary = new Set<string>();

  constructor(readonly lang: Lang) {}

  /** The words that carry meaning; with `keepStopWords`, every word (for questions made only of them). */
  words(text: string, keepStopWords = false): string[] {
    return keywordForm(text.replace(/[’']/g, ''))
      .split(/[^\p{L}\p{N}]+/u)
      // Single letters and short numbers ("2+2", "mbo 4") say nothing about the topic.
      .filter((w) => (/^\d+$/.test(w) ? w.length >= 3 : w.length > 1))
      .map((w) => SPELLING_VARIANTS[this.lang][w] ?? w)
      .filter((w) => w.length > 0 && (keepStopWords || !STOP_WORDS[this.lang].has(w)));
  }

  stem(word: string): string {
    let w = word;
    // Dutch past participles: "gediscrimineerd", "gemeld", "geweigerd" share a stem with the verb.
    if (this.lang === 'nl' && /^ge\p{L}{4,}(d|t)$/u.test(w)) w = w.slice(2);
    return stemmers[this.lang].stem(w);
  }

  /** Registers handbook words so later compounds can be split into them. */
  learn(text: string): void {
    for (const word of this.words(text)) {
      const stem = this.stem(word);
      if (stem.length >= 3) this.vocabulary.add(stem);
    }
  }

  /** Search terms for one word: its stem, plus the parts of a compound the vocabulary knows. */
  terms(word: string): string[] {
    const stem = this.stem(word);
    if (this.lang !== 'nl' || word.length < 8 || this.vocabulary.has(stem)) return [stem];
    for (let cut = 3; cut <= word.length - 4; cut++) {
      const head = word.slice(0, cut);
      const tail = word.slice(cut);
      const heads = [head, head.replace(/(s|e|en)$/, '')].filter((h) => h.length >= 3);
      const headStem = heads.map((h) => this.stem(h)).find((h) => this.vocabulary.has(h));
      const tailStem = this.stem(tail);
      if (headStem && this.vocabulary.has(tailStem)) return [stem, headStem, tailStem];
    }
    return [stem];
  }

  analyze(text: string): string[] {
    return this.words(text).flatMap((w) => this.terms(w));
  }
}
