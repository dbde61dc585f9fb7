/**
 * Finds the handbook topic for a student's question, or honestly finds none.
 *
 * Retrieval is MiniSearch (BM25 with fuzzy and prefix matching for typos) over each topic's title,
 * alternate phrasings, keywords and answer, with our own analyzer (stemming, Dutch compounds).
 * A raw BM25 score says little on its own, so confidence also weighs how much of the question the
 * best topic explains (query-term coverage): "wat is de hoofdstad van frankrijk" matches nothing
 * well and is rejected, instead of getting the least-bad topic.
 */
import MiniSearch, { type SearchResult } from 'minisearch';
import { SUPPORTED_LANGUAGES, type Lang } from '../i18n/i18n';
import { Analyzer } from './analyzer';
import type { Handbook, HandbookEntry } from './content';

export interface TopicMatch {
  id: string;
  /** 0..1: how sure we are this topic answers the question. */
  confidence: number;
  /** Language of the index that matched best. */
  matchedLang: Lang;
}

export type AnswerResult =
  | { kind: 'answer'; entry: HandbookEntry; confidence: number }
  | { kind: 'didYouMean'; candidates: HandbookEntry[]; confidence: number }
  | { kind: 'none'; confidence: number };

export interface Answerer {
  answer(question: string, lang: Lang): AnswerResult;
  rank(question: string, lang: Lang): TopicMatch[];
}

/** Tuned with `npm run eval` on the development and hold-out question sets. */
export const ANSWER_TUNING = {
  /** Below this the bot says it does not know. */
  minConfidence: 0.42,
  /** A runner-up this close to the best topic makes the bot ask "did you mean". */
  didYouMeanRatio: 0.9,
  /** The runner-up must itself be plausible to be offered. */
  didYouMeanMinConfidence: 0.4,
  /** Matching the question against the other language's phrasings counts a bit less. */
  otherLanguageWeight: 0.85,
  /** Scale of the raw BM25 score in the confidence curve. */
  scoreScale: 6,
  fuzzy: 0.2,
};

interface Doc {
  id: string;
  title: string;
  phrasings: string;
  keywords: string;
  answer: string;
}

export class HandbookAnswerer implements Answerer {
  private readonly indexes = new Map<Lang, { search: MiniSearch<Doc>; analyzer: Analyzer }>();

  constructor(private readonly handbook: Handbook) {
    for (const lang of SUPPORTED_LANGUAGES) this.indexes.set(lang, this.buildIndex(lang));
  }

  private buildIndex(lang: Lang) {
    const analyzer = new Analyzer(lang);
    const entries = this.handbook.entries[lang];
    for (const e of entries) analyzer.learn([e.title, ...e.phrasings, ...e.keywords].join(' '));
    const search = new MiniSearch<Doc>({
      fields: ['title', 'phrasings', 'keywords', 'answer'],
      storeFields: [],
      tokenize: (text) => analyzer.words(text),
      processTerm: (term) => analyzer.terms(term),
      searchOptions: {
        boost: { title: 2, phrasings: 1.5, keywords: 2, answer: 0.4 },
        combineWith: 'OR',
      },
    });
    search.addAll(
      entries.map((e) => ({
        id: e.id,
        title: e.title,
        phrasings: e.phrasings.join(' \n '),
        keywords: e.keywords.join(' '),
        answer: e.answer,
      })),
    );
    return { search, analyzer };
  }

  private rankIn(question: string, lang: Lang): TopicMatch[] {
    const index = this.indexes.get(lang);
    if (!index) return [];
    const queryWords = [...new Set(index.analyzer.words(question))].map((w) => index.analyzer.terms(w));
    if (queryWords.length === 0) return [];
    const results: SearchResult[] = index.search.search(question, {
      fuzzy: (term) => (term.length >= 5 ? ANSWER_TUNING.fuzzy : 0),
      prefix: (term) => term.length >= 5,
      // Fuzzy and prefix hits count less than exact ones.
      weights: { fuzzy: 0.45, prefix: 0.6 },
    });
    return results.map((r) => {
      const matched = new Set(r.queryTerms);
      const covered = queryWords.filter((terms) => terms.some((t) => matched.has(t))).length;
      const coverage = covered / queryWords.length;
      const strength = 1 - Math.exp(-r.score / ANSWER_TUNING.scoreScale);
      return { id: String(r.id), confidence: Math.sqrt(coverage) * strength, matchedLang: lang };
    });
  }

  /** All topics that match at all, best first, merged over the languages we support. */
  rank(question: string, lang: Lang): TopicMatch[] {
    const best = new Map<string, TopicMatch>();
    for (const indexLang of SUPPORTED_LANGUAGES) {
      const weight = indexLang === lang ? 1 : ANSWER_TUNING.otherLanguageWeight;
      for (const m of this.rankIn(question, indexLang)) {
        const weighted = { ...m, confidence: m.confidence * weight };
        const seen = best.get(m.id);
        if (!seen || seen.confidence < weighted.confidence) best.set(m.id, weighted);
      }
    }
    return [...best.values()].sort((a, b) => b.confidence - a.confidence);
  }

  answer(question: string, lang: Lang): AnswerResult {
    const [first, second] = this.rank(question, lang);
    if (!first || first.confidence < ANSWER_TUNING.minConfidence) return { kind: 'none', confidence: first?.confidence ?? 0 };
    const entry = this.handbook.byId(lang, first.id);
    if (!entry) return { kind: 'none', confidence: 0 };
    if (
      second &&
      second.confidence >= ANSWER_TUNING.didYouMeanMinConfidence &&
      second.confidence >= first.confidence * ANSWER_TUNING.didYouMeanRatio
    ) {
      const other = this.handbook.byId(lang, second.id);
      if (other) return { kind: 'didYouMean', candidates: [entry, other], confidence: first.confidence };
    }
    return { kind: 'answer', entry, confidence: first.confidence };
  }
}
