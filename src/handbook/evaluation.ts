/**
 * Measures the answerer on a labelled question file (topic, language, question):
 * top-1 accuracy on in-scope questions and rejection of out-of-scope ("none") ones, per language.
 */
import fs from 'node:fs';
import type { Answerer } from './answerer';
import { ask } from './ask';

export interface LabelledQuestion {
  topic: string;
  lang: string;
  question: string;
}

export interface LanguageScore {
  inScope: number;
  correct: number;
  outOfScope: number;
  rejected: number;
}

export interface Evaluation {
  perLanguage: Record<string, LanguageScore>;
  misses: Array<LabelledQuestion & { got: string | null; score: number }>;
}

export function readQuestionFile(file: string): LabelledQuestion[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [topic = '', lang = '', ...rest] = line.split('\t');
      return { topic: topic.trim(), lang: lang.trim(), question: rest.join('\t').trim() };
    })
    .filter((q) => q.question);
}

export function evaluate(answerer: Answerer, questions: LabelledQuestion[]): Evaluation {
  const perLanguage: Record<string, LanguageScore> = {};
  const misses: Evaluation['misses'] = [];
  for (const q of questions) {
    const score = (perLanguage[q.lang] ??= { inScope: 0, correct: 0, outOfScope: 0, rejected: 0 });
    const result = ask(answerer, q.question);
    if (q.topic === 'none') {
      score.outOfScope++;
      if (result.id === null) score.rejected++;
      else misses.push({ ...q, got: result.id, score: result.score });
    } else {
      score.inScope++;
      if (result.id === q.topic) score.correct++;
      else misses.push({ ...q, got: result.id, score: result.score });
    }
  }
  return { perLanguage, misses };
}

const pct = (n: number, d: number) => (d === 0 ? '  n/a' : `${((100 * n) / d).toFixed(1).padStart(5)} %`);

export function formatEvaluation(file: string, evaluation: Evaluation, verbose: boolean): string {
  const lines = [`Question file: ${file}`, '', 'lang  top-1 accuracy          out-of-scope rejection'];
  for (const [lang, s] of Object.entries(evaluation.perLanguage).sort()) {
    lines.push(`${lang.padEnd(4)}  ${pct(s.correct, s.inScope)} (${s.correct}/${s.inScope})`.padEnd(30) + `${pct(s.rejected, s.outOfScope)} (${s.rejected}/${s.outOfScope})`);
  }
  if (verbose && evaluation.misses.length > 0) {
    lines.push('', 'Misses (expected → got, score):');
    for (const m of evaluation.misses) lines.push(`  [${m.lang}] ${m.topic} → ${m.got ?? 'none'} (${m.score})  ${m.question}`);
  }
  return lines.join('\n') + '\n';
}
