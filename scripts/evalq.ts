import fs from 'node:fs';
import { loadHandbook } from '../src/handbook/content';
import { HandbookAnswerer } from '../src/handbook/answerer';
const hb = loadHandbook(); const a = new HandbookAnswerer(hb);
for (const file of ['/work/shared/questions/dev.tsv', 'test/fixtures/questions-holdout.tsv']) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(l => l && !l.startsWith('#'));
  let ok = 0, n = 0, noneOk = 0, noneN = 0; const fails: string[] = [];
  for (const l of lines) { const [topic, lang, q] = l.split('\t') as [string, 'nl'|'en', string];
    const r = a.answer(q, lang); const id = r.kind === 'answer' ? r.entry.id : r.kind === 'didYouMean' ? r.candidates[0]!.id : null;
    if (topic === 'none') { noneN++; if (id === null) noneOk++; else fails.push(`NONE->${id} ${r.confidence.toFixed(2)} ${q}`); }
    else { n++; if (id === topic) ok++; else fails.push(`${topic}->${id} ${r.kind} ${r.confidence.toFixed(2)} ${q}`); } }
  console.log(file, 'acc', (ok/n).toFixed(3), n, 'none', (noneOk/noneN).toFixed(3), noneN);
  if (process.argv[2]) console.log(fails.join('\n'));
}
