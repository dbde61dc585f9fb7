import { loadHandbook } from '../src/handbook/content';
import { ANSWER_TUNING, HandbookAnswerer } from '../src/handbook/answerer';
import { evaluate, readQuestionFile } from '../src/handbook/evaluation';
const hb = loadHandbook();
const sets = { dev: readQuestionFile('test/fixtures/questions-dev.tsv'), hold: readQuestionFile('test/fixtures/questions-holdout.tsv') };
const grid = JSON.parse(process.argv[2] ?? '{}') as Record<string, number[]>;
const keys = Object.keys(grid);
const combos: Record<string, number>[] = [{}];
for (const k of keys) { const next: Record<string, number>[] = []; for (const c of combos) for (const v of grid[k]!) next.push({ ...c, [k]: v }); combos.splice(0, combos.length, ...next); }
for (const combo of combos) {
  Object.assign(ANSWER_TUNING, combo);
  const a = new HandbookAnswerer(hb);
  const line = [JSON.stringify(combo)];
  for (const [name, qs] of Object.entries(sets)) {
    const r = evaluate(a, qs).perLanguage;
    line.push(`${name} ` + ['nl', 'en'].map((l) => `${l} ${(100 * r[l]!.correct / r[l]!.inScope).toFixed(0)}/${(100 * r[l]!.rejected / r[l]!.outOfScope).toFixed(0)}`).join(' '));
  }
  console.log(line.join(' | '));
}
