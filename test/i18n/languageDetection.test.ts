import assert from 'node:assert/strict';
import sinon from 'sinon';
import { AzureLanguageDetector, chooseLanguage, detectLocally, LocalLanguageDetector } from '../../src/i18n/languageDetection';
import { AzurePiiRedactor, LocalPiiRedactor } from '../../src/text/redact';
import { translator } from '../../src/i18n/i18n';
import { silentLogger } from '../../src/logger';
import type { TextAnalysisClient } from '@azure/ai-language-text';

describe('language detection', () => {
  it('tells Dutch from English in short chat messages', () => {
    const cases: Array<[string, 'nl' | 'en']> = [
      ['mag een bedrijf me weigeren om mijn hoofddoek', 'nl'],
      ['ik word steeds afgewezen door mijn naam', 'nl'],
      ['wat moet ik doen als mijn begeleider racistisch is', 'nl'],
      ['can they refuse me because of my headscarf', 'en'],
      ['what should i do if my supervisor is racist', 'en'],
      ['i think they rejected me because of my name', 'en'],
    ];
    for (const [text, lang] of cases) assert.equal(detectLocally(text)?.lang, lang, text);
  });

  it('never flips the language on a short message, and follows a full sentence', () => {
    for (const short of ['ok', 'ja', 'yes', 'thanks', 'oké dank je']) {
      assert.equal(chooseLanguage('en', short, detectLocally(short), 'nl'), 'en', short);
      assert.equal(chooseLanguage('nl', short, detectLocally(short), 'nl'), 'nl', short);
    }
    const english = 'what happens after i file a report';
    assert.equal(chooseLanguage('nl', english, detectLocally(english), 'nl'), 'en');
    assert.equal(chooseLanguage(undefined, '???', undefined, 'nl'), 'nl', 'Dutch is the default');
  });

  it('uses Azure AI Language when configured, and the local detector when Azure fails', async () => {
    const analyze = sinon.stub().resolves([{ id: '0', primaryLanguage: { iso6391Name: 'en', confidenceScore: 0.97, name: 'English' }, warnings: [] }]);
    const azure = new AzureLanguageDetector({ analyze } as unknown as Pick<TextAnalysisClient, 'analyze'>, new LocalLanguageDetector(), silentLogger);
    assert.deepEqual(await azure.detect('hello there my friend'), { lang: 'en', confidence: 0.97 });
    assert.equal(analyze.firstCall.args[0], 'LanguageDetection');

    analyze.resolves([{ id: '0', primaryLanguage: { iso6391Name: 'fr', confidenceScore: 0.9, name: 'French' }, warnings: [] }]);
    assert.equal(await azure.detect('bonjour tout le monde'), undefined, 'an unsupported language changes nothing');

    analyze.rejects(new Error('network down'));
    assert.equal((await azure.detect('ik wil een melding maken over mijn stage'))?.lang, 'nl');
  });
});

describe('PII redaction for counsellors', () => {
  const t = translator('nl');

  it('removes e-mail addresses, phone numbers, bank accounts, postcodes, links and introduced names locally', async () => {
    const [out] = await new LocalPiiRedactor(t).redact(
      ['Ik heet Sara de Vries, mail sara@example.nl of bel 06-12345678. IBAN NL91ABNA0417164300, postcode 2511 AB, zie https://x.example/p'],
    );
    for (const leaked of ['Sara', 'sara@example.nl', '12345678', 'NL91', '2511 AB', 'x.example']) assert.ok(!out!.includes(leaked), `${leaked} in: ${out}`);
    assert.match(out!, /\[naam\]/);
    assert.match(out!, /\[e-mail\]/);
  });

  it('uses Azure PII recognition when configured, then the local rules too; falls back when Azure fails', async () => {
    const analyze = sinon.stub().resolves([{ id: '0', redactedText: 'Mijn collega ******* zei iets, bel 0612345678', entities: [], warnings: [] }]);
    const redactor = new AzurePiiRedactor({ analyze } as unknown as Pick<TextAnalysisClient, 'analyze'>, new LocalPiiRedactor(t), silentLogger);
    const [out] = await redactor.redact(['Mijn collega Mohamed zei iets, bel 0612345678'], 'nl');
    assert.equal(analyze.firstCall.args[0], 'PiiEntityRecognition');
    assert.ok(!out!.includes('Mohamed') && !out!.includes('0612345678'), out);
    analyze.rejects(new Error('timeout'));
    const [fallback] = await redactor.redact(['bel 0612345678'], 'nl');
    assert.ok(!fallback!.includes('0612345678'));
  });
});
