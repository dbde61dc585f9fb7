/**
 * Finds the handbook topic for a student's question, or honestly finds none.
 *
 * Retrieval is MiniSearch (BM25 with fuzzy and prefix matching for typos) over every title,
 * alternate phrasing, keyword list and answer of the handbook, one search document each, with our
 * own analyzer (stemming, Dutch compounds). A topic scores by its best two matching documents.
 *
 * Two things keep the bot from answering what it does not know:
 * - known off-topic questions (content/out-of-scope.yaml: CVs, internship hours, homework...) are
 *   indexed too, as a topic of their own; when they match best, the bot says it does not know;
 * - coverage: the share of the question's information (words weighted by how rare they are in the
 *   handbook; unknown words weigh most) that the best topic explains. "Wat is de hoofdstad van
 *   Frankrijk" shares no meaningful word with the handbook and is rejected, instead of getting the
 *   least-bad topic.
 * Both were chosen and tuned on measured accuracy (`npm run eval`), see README "Answering".
 */
import MiniSearch from 'minisearch';
import { SUPPORTED_LANGUAGES, type Lang } from '../i18n/i18n';
import { Analyzer } from './analyzer';
import { FILLER_WORDS, QUESTION_WORDS, STOP_WORDS } from './stopWords';
import type { Handbook, HandbookEntry } from './content';

export interface TopicMatch {
  id: string;
  /** BM25 evidence for the topic (best document + half the second best). */
  score: number;
  /** 0..1: the share of the question's information this topic explains. */
  coverage: number;
  /** How many of the question's meaningful words this topic matched. */
  matchedWords: number;
}

export type AnswerResult =
  | { kind: 'answer'; entry: HandbookEntry; confidence: number }
  | { kind: 'didYouMean'; candidates: HandbookEntry[]; confidence: number }
  /** Not sure enough to answer; these topics may be what the student means. */
  | { kind: 'none'; confidence: number; suggestions: HandbookEntry[] };

export interface Answerer {
  answer(question: string, lang: Lang): AnswerResult;
  rank(question: string, lang: Lang): TopicMatch[];
}

/** The pseudo-topic of known off-topic questions. */
export const OUT_OF_SCOPE = '__out_of_scope__';

/** Tuned with `npm run eval` on the development and hold-out question sets. */
export const ANSWER_TUNING = {
  /** Below this share of the question explained, the bot does not answer. */
  minCoverage: 0.4,
  /** Between this and minCoverage it says it is not sure and suggests the closest topics. */
  suggestCoverage: 0.25,
  /** A runner-up this close to the best topic makes the bot ask "did you mean". */
  didYouMeanRatio: 0.92,
  /** Matching the question against the other language's handbook counts a bit less. */
  otherLanguageWeight: 0.85,
  /** How much the second-best document of a topic adds to its score. */
  secondDocumentWeight: 0.5,
  /** Document kinds: a phrasing or title counts fully, keywords a bit less, the answer text little. */
  kindWeights: { title: 1, phrasing: 1, keywords: 0.8, answer: 0.3 },
  fuzzy: 0.2,
  /** Information of a word the handbook has never seen, as a share of the rarest known word's. */
  unknownWordWeight: 1,
  /** Ranking weighs BM25 evidence by coverage to this power. */
  coveragePower: 2,
};

type DocKind = keyof typeof ANSWER_TUNING.kindWeights;

interface Doc {
  id: string;
  topic: string;
  kind: DocKind;
  text: string;
}

interface LanguageIndex {
  search: MiniSearch<Doc>;
  analyzer: Analyzer;
  idf(term: string): number;
  /** Phrasings made only of stop words, by their word sequence without fillers (see exactKey). */
  exact: Map<string, string>;
  exactKey(text: string): string;
}

export class HandbookAnswerer implements Answerer {
  private readonly indexes = new Map<Lang, LanguageIndex>();

  constructor(private readonly handbook: Handbook) {
    for (const lang of SUPPORTED_LANGUAGES) this.indexes.set(lang, this.buildIndex(lang));
  }

  private buildIndex(lang: Lang): LanguageIndex {
    const analyzer = new Analyzer(lang);
    const docs: Doc[] = [];
    for (const e of this.handbook.entries[lang]) {
      docs.push({ id: `${e.id}#title`, topic: e.id, kind: 'title', text: e.title });
      e.phrasings.forEach((p, i) => docs.push({ id: `${e.id}#${i}`, topic: e.id, kind: 'phrasing', text: p }));
      if (e.keywords.length > 0) docs.push({ id: `${e.id}#keywords`, topic: e.id, kind: 'keywords', text: e.keywords.join(' ') });
      docs.push({ id: `${e.id}#answer`, topic: e.id, kind: 'answer', text: e.answer });
    }
    this.handbook.outOfScope[lang].forEach((q, i) => docs.push({ id: `${OUT_OF_SCOPE}#${i}`, topic: OUT_OF_SCOPE, kind: 'phrasing', text: q }));
    // The vocabulary for splitting compounds comes from questions, not from the long answers.
    for (const d of docs) if (d.kind !== 'answer') analyzer.learn(d.text);

    const search = new MiniSearch<Doc>({
      fields: ['text'],
      storeFields: ['topic', 'kind'],
      tokenize: (text) => analyzer.words(text),
      processTerm: (term) => analyzer.terms(term),
    });
    search.addAll(docs);

    const documentFrequency = new Map<string, number>();
    for (const d of docs) for (const term of new Set(analyzer.analyze(d.text))) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    // Questions made only of stop words ("wie ben jij") have no search terms; they can still be
    // recognised when they are exactly one of the phrasings.
    const exactKey = (text: string) => analyzer.words(text, true).filter((w) => !FILLER_WORDS[lang].has(w)).join(' ');
    const exact = new Map<string, string>();
    for (const d of docs) {
      const meaningful = analyzer.words(d.text).filter((w) => !QUESTION_WORDS[lang].has(w));
      if (d.kind === 'phrasing' && meaningful.length === 0) exact.set(exactKey(d.text), d.topic);
    }
    const n = docs.length;
    const rarest = Math.log(1 + (n - 1 + 0.5) / 1.5);
    const idf = (term: string) => {
      const df = documentFrequency.get(term);
      // A word we have never seen (a name, a typo fuzzy search did not catch, an off-topic word)
      // counts as rare, but not so much that one stray word outweighs the rest of the question.
      if (df === undefined) return rarest * ANSWER_TUNING.unknownWordWeight;
      return Math.log(1 + (n - df + 0.5) / (df + 0.5));
    };
    return { search, analyzer, idf, exact, exactKey };
  }

  /** Ranks topics in the handbook of `lang` for a question written in `questionLang`. */
  private rankIn(question: string, lang: Lang, questionLang: Lang, weight: number): TopicMatch[] {
    const index = this.indexes.get(lang);
    if (!index) return [];
    // Words that carry nothing in the question's own language ("de", "van", "wat") must not match
    // the other language's handbook, where they may mean something.
    const ownNoise = (w: string) => questionLang !== lang && (STOP_WORDS[questionLang].has(w) || QUESTION_WORDS[questionLang].has(w));
    const corrected = index.analyzer
      .words(question)
      .filter((w) => !ownNoise(w))
      .map((w) => index.analyzer.correct(w));
    const content = [...new Set(corrected)].filter((w) => !QUESTION_WORDS[lang].has(w));
    if (content.length === 0) {
      // "wie ben jij", "hoe gaat het": only stop and question words, recognised only as an exact phrasing.
      const topic = index.exact.get(index.exactKey(question));
      return topic ? [{ id: topic, score: 10 * weight, coverage: 1, matchedWords: 0 }] : [];
    }
    const words = content.map((w) => index.analyzer.terms(w));
    const information = words.map((terms) => Math.max(...terms.map((t) => index.idf(t))));
    const total = information.reduce((a, b) => a + b, 0);

    const results = index.search.search(corrected.join(' '), {
      fuzzy: (term) => (term.length >= 5 ? ANSWER_TUNING.fuzzy : 0),
      prefix: (term) => term.length >= 5,
      // Fuzzy and prefix hits count less than exact ones.
      weights: { fuzzy: 0.45, prefix: 0.6 },
    });
    const topics = new Map<string, { scores: number[]; matched: Set<string> }>();
    for (const r of results) {
      const topic = String(r.topic);
      const entry = topics.get(topic) ?? { scores: [], matched: new Set<string>() };
      entry.scores.push(r.score * ANSWER_TUNING.kindWeights[r.kind as DocKind]);
      for (const term of r.queryTerms) entry.matched.add(term);
      topics.set(topic, entry);
    }
    return [...topics.entries()].map(([id, { scores, matched }]) => {
      const [best = 0, second = 0] = scores.sort((a, b) => b - a);
      const hits = words.map((terms) => terms.some((t) => matched.has(t)));
      const explained = hits.reduce((sum, hit, i) => sum + (hit ? information[i]! : 0), 0);
      const coverage = total > 0 ? explained / total : 0;
      const evidence = (best + ANSWER_TUNING.secondDocumentWeight * second) * weight;
      return { id, score: evidence * coverage ** ANSWER_TUNING.coveragePower, coverage, matchedWords: hits.filter(Boolean).length };
    });
  }

  /**
   * Every topic that matches at all (the off-topic pseudo-topic included), best first. The other
   * languages' handbooks are searched too, but only when the question's own language gives no clear
   * answer (a Dutch student using an English word): that keeps the common case fast.
   */
  rank(question: string, lang: Lang): TopicMatch[] {
    const best = new Map<string, TopicMatch>();
    const add = (matches: TopicMatch[]) => {
      for (const m of matches) {
        const seen = best.get(m.id);
        if (!seen || seen.score < m.score) best.set(m.id, m);
      }
    };
    add(this.rankIn(question, lang, lang, 1));
    const top = [...best.values()].sort((a, b) => b.score - a.score)[0];
    if (!top || top.id === OUT_OF_SCOPE || top.coverage < 1) {
      for (const other of SUPPORTED_LANGUAGES) {
        if (other !== lang) add(this.rankIn(question, other, lang, ANSWER_TUNING.otherLanguageWeight));
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score);
  }

  answer(question: string, lang: Lang): AnswerResult {
    const ranked = this.rank(question, lang);
    const offTopic = ranked.find((m) => m.id === OUT_OF_SCOPE);
    const topics = ranked.filter((m) => m.id !== OUT_OF_SCOPE);
    const [first, second] = topics;
    if (!first) return { kind: 'none', confidence: 0, suggestions: [] };
    // How sure we are: the share explained, lowered when off-topic questions match better.
    const confidence = offTopic && offTopic.score > first.score ? first.coverage * (first.score / offTopic.score) : first.coverage;
    if (ranked[0]?.id === OUT_OF_SCOPE || first.coverage < ANSWER_TUNING.minCoverage) {
      const suggestions =
        ranked[0]?.id === OUT_OF_SCOPE
          ? []
          : topics
              // A suggestion needs two words in common, not one stray match ("hoofdstad van Frankrijk").
              .filter((m) => m.coverage >= ANSWER_TUNING.suggestCoverage && m.matchedWords >= 2)
              .slice(0, 2)
              .map((m) => this.handbook.byId(lang, m.id))
              .filter((e): e is HandbookEntry => Boolean(e));
      return { kind: 'none', confidence, suggestions };
    }
    const entry = this.handbook.byId(lang, first.id);
    if (!entry) return { kind: 'none', confidence: 0, suggestions: [] };
    if (second && second.coverage >= ANSWER_TUNING.minCoverage && second.score >= first.score * ANSWER_TUNING.didYouMeanRatio) {
      const other = this.handbook.byId(lang, second.id);
      if (other) return { kind: 'didYouMean', candidates: [entry, other], confidence };
    }
    return { kind: 'answer', entry, confidence };
  }
}
