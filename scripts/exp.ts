import fs from 'node:fs';
import { loadHandbook } from '../src/handbook/content';
import { Analyzer } from '../src/handbook/analyzer';
type Lang = 'nl'|'en';
const hb = loadHandbook();
type Vec = Map<string, number>;
function feats(an: Analyzer, text: string, useChar: boolean): string[] {
  const words = an.words(text);
  const out: string[] = [];
  for (const w of words) { for (const t of an.terms(w)) out.push('w:' + t); }
  if (useChar) for (const w of words) { const p = ` ${w} `; for (let n = 3; n <= 4; n++) for (let i = 0; i + n <= p.length; i++) out.push('c' + p.slice(i, i + n)); }
  return out;
}
class Index { docs: { topic: string; vec: Vec }[] = []; df = new Map<string, number>(); N = 0; an: Analyzer;
  constructor(public lang: Lang, public useChar: boolean, public charW: number) {
    this.an = new Analyzer(lang);
    for (const e of hb.entries[lang]) this.an.learn([e.title, ...e.phrasings, ...e.keywords].join(' '));
    const raw: { topic: string; f: string[] }[] = [];
    for (const e of hb.entries[lang]) { for (const p of [e.title, ...e.phrasings, e.keywords.join(' ')]) raw.push({ topic: e.id, f: feats(this.an, p, useChar) }); }
    this.N = raw.length;
    for (const r of raw) for (const f of new Set(r.f)) this.df.set(f, (this.df.get(f) ?? 0) + 1);
    this.docs = raw.map(r => ({ topic: r.topic, vec: this.vec(r.f) }));
  }
  vec(f: string[]): Vec { const tf = new Map<string, number>(); for (const x of f) tf.set(x, (tf.get(x) ?? 0) + 1);
    const v: Vec = new Map(); let norm = 0;
    for (const [k, c] of tf) { const idf = Math.log((this.N + 1) / ((this.df.get(k) ?? 0) + 1)) + 1; const w = (1 + Math.log(c)) * idf * (k.startsWith('c') ? this.charW : 1); v.set(k, w); norm += w * w; }
    norm = Math.sqrt(norm) || 1; for (const [k, w] of v) v.set(k, w / norm); return v; }
  rank(q: string) { const qv = this.vec(feats(this.an, q, this.useChar)); const best = new Map<string, number>();
    for (const d of this.docs) { let s = 0; for (const [k, w] of qv) { const o = d.vec.get(k); if (o) s += w * o; } if (s > (best.get(d.topic) ?? 0)) best.set(d.topic, s); }
    return [...best.entries()].sort((a, b) => b[1] - a[1]); }
}
const cfgs = [[false, 0], [true, 0.3], [true, 0.5], [true, 1]] as const;
for (const [useChar, cw] of cfgs) {
  const idx = { nl: new Index('nl', useChar, cw), en: new Index('en', useChar, cw) };
  for (const file of ['/work/shared/questions/dev.tsv', 'test/fixtures/questions-holdout.tsv']) {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(l => l && !l.startsWith('#')).map(l => l.split('\t') as [string, Lang, string]);
    const res = lines.map(([topic, lang, q]) => { const r = idx[lang].rank(q); return { topic, top: r[0]?.[0] ?? null, s: r[0]?.[1] ?? 0 }; });
    const inScope = res.filter(r => r.topic !== 'none');
    const acc1 = inScope.filter(r => r.top === r.topic).length / inScope.length;
    // threshold sweep
    let line = `${file.split('/').pop()} char=${useChar} cw=${cw} top1=${acc1.toFixed(3)} |`;
    for (const th of [0.2, 0.25, 0.3, 0.35, 0.4]) { const acc = inScope.filter(r => r.top === r.topic && r.s >= th).length / inScope.length; const none = res.filter(r => r.topic === 'none'); const rej = none.filter(r => r.s < th).length / none.length; line += ` th${th}: ${acc.toFixed(2)}/${rej.toFixed(2)}`; }
    console.log(line);
  }
}
