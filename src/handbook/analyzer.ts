/**
 * Turns text into search terms: loose normal form, stop words out, Snowball stemming, and for Dutch
 * splitting of compound words ("stagediscriminatie" → stage + discriminatie) against the handbook's
 * own vocabulary, because students and the handbook often glue or split the same words differently.
 */
import { newStemmer } from 'snowball-stemmers';
import SearchableMap from 'minisearch/SearchableMap';
import type { Lang } from '../i18n/i18n';
import { keywordForm } from '../text/normalize';
import { STOP_WORDS, SPELLING_VARIANTS } from './stopWords';

const AGE_STATEMENT: Record<Lang, RegExp> = {
  nl: /\b(?:ik ben (?:pas |nog maar |nog )?(?:1[2-9]|[2-6]\d)|ik (?:pas |nog maar )?(?:1[2-9]|[2-6]\d) (?:jaar )?(?:oud )?ben)\b/g,
  en: /\b(?:i am|im) (?:only |just )?(?:1[2-9]|[2-6]\d)\b/g,
};
const AGE_WORD: Record<Lang, string> = { nl: 'leeftijd', en: 'age' };

const stemmers = { nl: newStemmer('dutch'), en: newStemmer('english') } satisfies Record<Lang, { stem(w: string): string }>;

export class Analyzer {
  /** Stems of every word in the handbook of this language, used to split compounds. */
  private readonly vocabulary = new Set<string>();
  /** The handbook's words as written, with how often they occur, for correcting typos. */
  private readonly surface = new SearchableMap<number>();

  constructor(readonly lang: Lang) {}

  /** The words that carry meaning; with `keepStopWords`, every word (for questions made only of them). */
  words(text: string, keepStopWords = false): string[] {
    return keywordForm(text.replace(/[’']/g, ''))
      // "omdat ik 17 ben", "because im 16": an age said as a number is about age.
      .replace(AGE_STATEMENT[this.lang], (match) => `${match} ${AGE_WORD[this.lang]}`)
      .split(/[^\p{L}\p{N}]+/u)
      // Single letters and short numbers ("2+2", "mbo 4") say nothing about the topic.
      .filter((w) => (/^\d+$/.test(w) ? w.length >= 3 : w.length > 1))
      .map((w) => SPELLING_VARIANTS[this.lang][w] ?? w)
      .filter((w) => w.length > 0 && (keepStopWords || !STOP_WORDS[this.lang].has(w)));
  }

  /** Stems are memoised: the same few thousand words come back in every question. */
  private readonly stems = new Map<string, string>();

  stem(word: string): string {
    const known = this.stems.get(word);
    if (known !== undefined) return known;
    const stem = this.stemUncached(word);
    if (this.stems.size < 50_000) this.stems.set(word, stem);
    return stem;
  }

  private stemUncached(word: string): string {
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
      this.surface.update(word, (count = 0) => count + 1);
    }
  }

  /**
   * The handbook word a student probably meant: "anonymusly" → "anonymously", "discrimminatie" →
   * "discriminatie". Typo tolerance on stems alone misses these, because a typo often changes the
   * stem too. Known words, and words without a close handbook word, stay as they are.
   */
  correct(word: string): string {
    if (this.surface.has(word) || this.vocabulary.has(this.stem(word))) return word;
    const maxEdits = word.length >= 8 ? 2 : word.length >= 5 ? 1 : 0;
    if (maxEdits === 0) return word;
    let best: { word: string; distance: number; count: number } | undefined;
    for (const [candidate, [count, distance]] of this.surface.fuzzyGet(word, maxEdits)) {
      if (!best || distance < best.distance || (distance === best.distance && count > best.count)) best = { word: candidate, distance, count };
    }
    return best?.word ?? word;
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
