import assert from 'node:assert/strict';
import type { Activity } from 'botbuilder';
import { messageWithChoices } from '../../../dialogs/ui';
import { translator } from '../../../src/i18n/i18n';
import { LIMITS, languageOf, planMessages, planTemplate, splitText, templateLanguage, uniqueTitles } from '../../../src/channels/whatsapp/outboundMapping';
import { fixtureJson } from './harness';
import type { SentMessage } from './fakeGraphApi';

const nl = translator('nl');
/** True when no surrogate half stands alone (String#isWellFormed is ES2024, newer than our lib). */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const en = translator('en');

function choices(n: number, label = (i: number) => `Keuze ${i}`) {
  return Array.from({ length: n }, (_, i) => ({ value: `pick:${i + 1}`, label: label(i + 1) }));
}

/** What the adapter does: the language of the batch picks the channel's own words. */
function bodies(activities: Array<Partial<Activity>>): SentMessage[] {
  return planMessages(activities, translator(languageOf(activities))).map((m) => m.body as unknown as SentMessage);
}

describe('WhatsApp outbound mapping', () => {
  describe('text', () => {
    it('merges consecutive texts of a turn into one message, in order', () => {
      const planned = planMessages([{ type: 'message', text: 'Een.' }, { type: 'message', text: 'Twee.' }, { type: 'typing' }, { type: 'message', text: 'Drie.' }], nl);
      assert.equal(planned.length, 1);
      assert.deepEqual(planned[0]!.body, { type: 'text', text: { preview_url: false, body: 'Een.\n\nTwee.\n\nDrie.' } });
      assert.deepEqual(planned[0]!.activities, [0, 1, 3]);
    });

    it('makes the same text body as Meta’s sample', () => {
      const sample = fixtureJson<SentMessage>('whatsapp-send-text.json');
      const [body] = bodies([{ type: 'message', text: sample.text!.body }]);
      assert.deepEqual(body, { type: sample.type, text: sample.text });
    });

    it('splits long text at sentence ends, every part at most 4096 characters', () => {
      const sentences = Array.from({ length: 400 }, (_, i) => `Dit is zin nummer ${i + 1} over je stage.`);
      const text = sentences.join(' ');
      const parts = splitText(text);
      assert.ok(parts.length >= 4);
      for (const part of parts) {
        assert.ok(part.length <= LIMITS.text, `part of ${part.length}`);
        assert.match(part, /stage\.$/, 'ends at a sentence end');
      }
      assert.equal(parts.join(' '), text, 'nothing lost or added');
    });

    it('never splits a surrogate pair or an emoji sequence', () => {
      const text = '😀'.repeat(2049) + '👩🏽‍🎓'.repeat(300);
      const parts = splitText(text);
      assert.ok(parts.length >= 2);
      for (const part of parts) {
        assert.ok(part.length <= LIMITS.text);
        assert.equal(wellFormed(part), true, 'no lone surrogate');
      }
      assert.equal(parts.join(''), text);
      const planned = bodies([{ type: 'message', text }]);
      assert.ok(planned.every((b) => b.text!.body.length <= LIMITS.text && wellFormed(b.text!.body)));
    });

    it('prefers paragraph breaks over sentence ends', () => {
      const first = 'a'.repeat(3000) + '.';
      const second = 'b. '.repeat(600);
      const parts = splitText(`${first}\n\n${second}`);
      assert.equal(parts[0], first);
    });
  });

  describe('choices', () => {
    it('turns up to three short choices into reply buttons whose ids are the choice values', () => {
      const [body] = bodies([messageWithChoices('Waar kan ik je mee helpen?', [
        { value: 'menu:question', label: 'Vraag stellen' },
        { value: 'menu:report', label: 'Melding maken' },
        { value: 'menu:human', label: 'Praat met iemand' },
      ])]);
      const sample = fixtureJson<SentMessage>('whatsapp-send-buttons.json');
      assert.equal(body!.type, 'interactive');
      assert.equal(body!.interactive!.type, 'button');
      assert.equal(body!.interactive!.body.text, 'Waar kan ik je mee helpen?');
      assert.deepEqual(body!.interactive!.action, sample.interactive!.action, 'same shape as Meta’s sample');
    });

    it('turns 4 to 10 choices into a list with descriptions (≤ 72) and a localized button label', () => {
      const long = 'Een hele lange uitleg die veel langer is dan tweeënzeventig tekens, zodat hij ingekort moet worden.';
      const activity = messageWithChoices('Waarom denk je dat?', [
        { value: 'ground:origin', label: 'Afkomst', description: 'Achternaam, huidskleur of land van herkomst' },
        { value: 'ground:religion', label: 'Geloof', description: long },
        { value: 'ground:disability', label: 'Handicap of ziekte' },
        { value: 'ground:other', label: 'Iets anders' },
      ]);
      const [body] = bodies([activity]);
      assert.equal(body!.interactive!.type, 'list');
      const rows = body!.interactive!.action.sections![0]!.rows;
      assert.deepEqual(rows.map((r) => r.id), ['ground:origin', 'ground:religion', 'ground:disability', 'ground:other']);
      assert.equal(rows[0]!.description, 'Achternaam, huidskleur of land van herkomst');
      assert.ok(rows[1]!.description!.length <= LIMITS.rowDescription);
      assert.ok(rows[1]!.description!.endsWith('…'));
      assert.equal(rows[2]!.description, undefined);
      assert.equal(body!.interactive!.action.button, nl('whatsapp.listButton'));
      const [english] = bodies([{ ...activity, locale: 'en-GB' }]);
      assert.equal(english!.interactive!.action.button, en('whatsapp.listButton'));
      assert.ok(en('whatsapp.listButton').length <= LIMITS.listButton && nl('whatsapp.listButton').length <= LIMITS.listButton);
    });

    it('makes list rows shaped like Meta’s sample (id, title, optional description)', () => {
      const sample = fixtureJson<SentMessage>('whatsapp-send-list.json');
      const sampleRows = sample.interactive!.action.sections!.flatMap((section) => section.rows);
      const [body] = bodies([messageWithChoices(sample.interactive!.body.text, sampleRows.map((r) => ({ value: r.id, label: r.title, ...(r.description ? { description: r.description } : {}) })))]);
      assert.equal(body!.interactive!.type, 'list');
      assert.equal(body!.interactive!.body.text, sample.interactive!.body.text);
      assert.deepEqual(body!.interactive!.action.sections, [{ rows: sampleRows }]);
    });

    it('offers more than ten choices as a numbered text', () => {
      const [body] = bodies([messageWithChoices('Kies een onderwerp', choices(12))]);
      assert.equal(body!.type, 'text');
      assert.match(body!.text!.body, /^Kies een onderwerp\n\n1\. Keuze 1\n2\. Keuze 2\n[\s\S]*12\. Keuze 12\n\n/);
      assert.ok(body!.text!.body.endsWith(nl('whatsapp.typeNumber')));
    });

    it('uses a list when a title is too long for a button, with the whole title as description', () => {
      const title = 'Mag een bedrijf me weigeren om mijn hoofddoek?';
      const [body] = bodies([messageWithChoices('Meer hierover', [{ value: 'topic:headscarf', label: title }, { value: 'menu:topics', label: 'Alle onderwerpen' }])]);
      assert.equal(body!.interactive!.type, 'list');
      const row = body!.interactive!.action.sections![0]!.rows[0]!;
      assert.ok(row.title.length <= LIMITS.rowTitle);
      assert.equal(row.description, title);
    });

    it('keeps titles unique after shortening', () => {
      const titles = uniqueTitles(['Ik wil iets melden over school', 'Ik wil iets melden over stage', 'Kort'], LIMITS.buttonTitle);
      assert.equal(new Set(titles.map((t) => t.toLowerCase())).size, 3);
      for (const title of titles) assert.ok(title.length <= LIMITS.buttonTitle, title);
      const rows = bodies([messageWithChoices('Kies', choices(5, () => 'Precies dezelfde lange titel voor elke rij'))])[0]!.interactive!.action.sections![0]!.rows;
      assert.equal(new Set(rows.map((r) => r.title)).size, 5);
      assert.ok(rows.every((r) => r.title.length <= LIMITS.rowTitle));
    });

    it('sends a text longer than an interactive body first, then the buttons with a short body', () => {
      const long = 'Lange uitleg. '.repeat(100).trim();
      const planned = bodies([messageWithChoices(long, choices(2))]);
      assert.equal(planned.length, 2);
      assert.equal(planned[0]!.text!.body, long);
      assert.equal(planned[1]!.interactive!.body.text, nl('whatsapp.chooseBelow'));
      assert.ok(planned.every((b) => !b.interactive || b.interactive.body.text.length <= LIMITS.interactiveBody));
    });

    it('merges texts that precede the buttons into the button message when they fit', () => {
      const planned = planMessages([{ type: 'message', text: 'Hoi!' }, messageWithChoices('Wat wil je doen?', choices(2))], nl);
      assert.equal(planned.length, 1);
      assert.equal((planned[0]!.body as unknown as SentMessage).interactive!.body.text, 'Hoi!\n\nWat wil je doen?');
      assert.deepEqual(planned[0]!.activities, [0, 1]);
    });

    it('maps a hero card to text with buttons, and another card to its fallback text', () => {
      const [hero, adaptive] = bodies([
        {
          type: 'message',
          attachments: [{ contentType: 'application/vnd.microsoft.card.hero', content: { title: 'Titel', text: 'Tekst', buttons: [{ type: 'imBack', title: 'Ja', value: 'ja' }, { type: 'openUrl', title: 'Site', value: 'https://example.org' }] } }],
        },
        { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', fallbackText: 'Alleen tekst' } }] },
      ]);
      assert.equal(hero!.interactive!.type, 'button');
      assert.equal(hero!.interactive!.body.text, 'Titel\nTekst\n\nSite: https://example.org');
      assert.deepEqual(hero!.interactive!.action.buttons, [{ type: 'reply', reply: { id: 'ja', title: 'Ja' } }]);
      assert.equal(adaptive!.text!.body, 'Alleen tekst');
    });

    it('keeps every list and button limit for odd input', () => {
      const odd = choices(10, (i) => `${'😀'.repeat(30)} ${i}`);
      const all = bodies([messageWithChoices('x'.repeat(5000), odd)]);
      assert.ok(all.every((b) => (b.text?.body.length ?? 0) <= LIMITS.text));
      const list = all.find((b) => b.interactive)!.interactive!;
      for (const row of list.action.sections![0]!.rows) {
        assert.ok(row.title.length <= LIMITS.rowTitle && wellFormed(row.title));
        assert.ok((row.description ?? '').length <= LIMITS.rowDescription && wellFormed(row.description ?? ''));
      }
      assert.ok(list.body.text.length <= LIMITS.interactiveBody);
    });
  });

  describe('templates and language', () => {
    it('puts a batch into one template parameter without line breaks, at most 1024 characters', () => {
      const planned = planTemplate([{ type: 'message', text: 'Een medewerker antwoordde:\n\nHoi Sara' }, messageWithChoices('Wil je verder?', choices(2))], { name: 'counsellor_reply', language: 'nl' })!;
      const body = planned.body as unknown as SentMessage;
      assert.equal(body.template!.name, 'counsellor_reply');
      assert.deepEqual(body.template!.language, { code: 'nl' });
      const text = body.template!.components[0]!.parameters[0]!.text;
      assert.equal(text, 'Een medewerker antwoordde: Hoi Sara Wil je verder? 1. Keuze 1 2. Keuze 2');
      const long = planTemplate([{ type: 'message', text: 'a '.repeat(2000) }], { name: 'n', language: 'nl' })!;
      assert.ok((long.body as unknown as SentMessage).template!.components[0]!.parameters[0]!.text.length <= LIMITS.templateParameter);
    });

    it('picks the template language of the student, else the first configured one', () => {
      assert.equal(templateLanguage('en', ['nl', 'en_US']), 'en_US');
      assert.equal(templateLanguage('nl', ['nl', 'en_US']), 'nl');
      assert.equal(templateLanguage('en', ['nl']), 'nl');
    });

    it('takes the language from activity.locale, Dutch otherwise', () => {
      assert.equal(languageOf([{ locale: 'en-US' }]), 'en');
      assert.equal(languageOf([{}]), 'nl');
      assert.equal(languageOf([{ locale: 'tr' }]), 'nl');
      assert.equal(languageOf([{}], 'en'), 'en');
    });
  });
});
