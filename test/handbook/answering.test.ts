import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadHandbook } from '../../src/handbook/content';
import { HandbookAnswerer } from '../../src/handbook/answerer';
import { evaluate, readQuestionFile } from '../../src/handbook/evaluation';
import { SUPPORTED_LANGUAGES } from '../../src/i18n/i18n';

const root = path.resolve(__dirname, '../..');
// A copy of ../shared/questions/dev.tsv, so a clone runs on its own.
const devSet = path.resolve(root, 'test', 'fixtures', 'questions-dev.tsv');
const holdout = path.join(root, 'test', 'fixtures', 'questions-holdout.tsv');

describe('handbook answering', function () {
  this.timeout(60_000);
  const handbook = loadHandbook();
  const answerer = new HandbookAnswerer(handbook);

  it('covers every topic in both languages, with sources, phrasings and related topics', () => {
    for (const lang of SUPPORTED_LANGUAGES) {
      assert.equal(handbook.entries[lang].length, 28, lang);
      for (const entry of handbook.entries[lang]) {
        assert.ok(entry.phrasings.length >= 10, `${lang}/${entry.id} needs more phrasings`);
        assert.ok(entry.related.length >= 1, `${lang}/${entry.id} has no related topics`);
        const words = entry.answer.split(/\s+/).length;
        assert.ok(words >= 50 && words <= 160, `${lang}/${entry.id} answer has ${words} words`);
      }
    }
  });

  it('keeps contact details out of answers: phone numbers live in organisations.yaml', () => {
    for (const lang of SUPPORTED_LANGUAGES) {
      for (const entry of handbook.entries[lang]) {
        if (entry.id === 'wellbeing-support') continue; // names the fixed crisis numbers 113 and 112
        assert.doesNotMatch(entry.answer, /\b0\d{2,3}[- ]?\d{3}/, `${lang}/${entry.id} has a phone number`);
        assert.doesNotMatch(entry.answer, /https?:\/\//, `${lang}/${entry.id} has a web address`);
      }
    }
  });

  it('holds top-1 accuracy and out-of-scope rejection at 90 % or more per language on the development set', () => {
    const { perLanguage } = evaluate(answerer, readQuestionFile(devSet));
    for (const lang of SUPPORTED_LANGUAGES) {
      const score = perLanguage[lang]!;
      assert.ok(score.correct / score.inScope >= 0.9, `${lang} top-1 ${score.correct}/${score.inScope}`);
      assert.ok(score.rejected / score.outOfScope >= 0.9, `${lang} rejection ${score.rejected}/${score.outOfScope}`);
    }
  });

  it('generalises to questions it was not tuned on (hold-out set written apart from the handbook)', () => {
    const { perLanguage } = evaluate(answerer, readQuestionFile(holdout));
    for (const lang of SUPPORTED_LANGUAGES) {
      const score = perLanguage[lang]!;
      assert.ok(score.correct / score.inScope >= 0.8, `${lang} top-1 ${score.correct}/${score.inScope}`);
      assert.ok(score.rejected / score.outOfScope >= 0.75, `${lang} rejection ${score.rejected}/${score.outOfScope}`);
    }
  });

  it('tolerates typos and chat spelling, and matches across languages', () => {
    const cases: Array<[string, 'nl' | 'en', string]> = [
      ['mag ze mn hoofdoek verbieden op stage', 'nl', 'religion-headscarf'],
      ['kan ik anoniem meldn', 'nl', 'report-anonymously'],
      ['welke bewijzen moet ik bewaaren', 'nl', 'evidence'],
      ['wat is het sbb meldpunt', 'nl', 'sbb-meldpunt'],
      ['can i report anonymusly', 'en', 'report-anonymously'],
    ];
    for (const [question, lang, topic] of cases) {
      const result = answerer.answer(question, lang);
      const id = result.kind === 'answer' ? result.entry.id : result.kind === 'didYouMean' ? result.candidates.map((c) => c.id) : null;
      assert.ok(id === topic || (Array.isArray(id) && id.includes(topic)), `${question} → ${JSON.stringify(id)}`);
    }
  });

  it('reads what a question is about, not who it is about: remarks about a ground, an age as a number, fillers', () => {
    const cases: Array<[string, 'nl' | 'en', string]> = [
      // The remark is the topic (not the ground the remark is about, unless that ground has its own topic).
      ['mijn werkbegeleider maakt steeds grappen over mijn afkomst', 'nl', 'discrimination-during-internship'],
      ['de begeleider op mijn stage maakt opmerkingen over mijn geloof', 'nl', 'discrimination-during-internship'],
      ['my boss makes comments about my hijab', 'en', 'discrimination-during-internship'],
      ['mijn stagebegeleider maakt opmerkingen over mijn zwangerschap', 'nl', 'pregnancy-gender'],
      ['de stagebegeleider maakt opmerkingen over mijn rolstoel', 'nl', 'disability-chronic-illness'],
      ['ze willen mij niet omdat ik 17 ben', 'nl', 'grounds-protected'],
      ['they dont want me because im 17', 'en', 'grounds-protected'],
      ['wie ben jij eigenlijk', 'nl', 'about-this-service'],
      ['who are you actually', 'en', 'about-this-service'],
    ];
    for (const [question, lang, topic] of cases) {
      const result = answerer.answer(question, lang);
      assert.equal(result.kind === 'answer' ? result.entry.id : result.kind, topic, question);
    }
  });

  it('does not answer what it does not know', () => {
    for (const question of ['wat is de hoofdstad van frankrijk', 'hoe gaat het', 'how are you', 'can you fix my laptop', 'wat is 2+2']) {
      assert.equal(answerer.answer(question, 'nl').kind, 'none', question);
    }
  });

  it('npm run ask -- --json follows the contract: one JSON object per line, nothing else on stdout', () => {
    const result = spawnSync('npm', ['run', '--silent', 'ask', '--', '--json'], {
      cwd: root,
      input: 'mag ik anoniem melden\nhoe maak ik pannenkoeken\n\nwhat proof should i keep\n',
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--no-deprecation' },
    });
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of rows) assert.deepEqual(Object.keys(row), ['question', 'lang', 'id', 'score', 'answer']);
    assert.equal(rows[0]!.id, 'report-anonymously');
    assert.equal(rows[0]!.lang, 'nl');
    assert.equal(rows[1]!.id, null);
    assert.equal(rows[1]!.answer, '');
    assert.equal(rows[2]!.lang, 'en');
    assert.equal(rows[2]!.id, 'evidence');
    const single = spawnSync('npm', ['run', '--silent', 'ask', '--', '--json', 'wie kan mijn berichten lezen'], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--no-deprecation' } });
    assert.equal((JSON.parse(single.stdout) as { id: string }).id, 'privacy-data');
  });
});
