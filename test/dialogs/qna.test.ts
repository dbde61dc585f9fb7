import assert from 'node:assert/strict';
import sinon from 'sinon';
import { appForSuite } from '../helpers/app';
import { StudentChat, buttons, texts } from '../helpers/studentChat';

describe('student conversation: welcome and questions', () => {
  const suite = appForSuite();

  it('welcomes a new student with who the bot is, privacy and a menu', async () => {
    const chat = new StudentChat(suite.app);
    const replies = await chat.send('hoi');
    const all = texts(replies);
    assert.match(all, /Stagemaatje/);
    assert.match(all, /versleuteld/);
    assert.deepEqual(buttons(replies).slice(0, 4), ['menu:ask', 'menu:report', 'menu:human', 'menu:myReports']);
  });

  it('answers a handbook question with the source section and follow-up buttons', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    const replies = await chat.send('mag een bedrijf me weigeren omdat ik een hoofddoek draag?');
    assert.match(texts(replies), /Bron: handboek 2\.4/);
    assert.ok(buttons(replies).includes('menu:report'));
  });
});

describe('student conversation: help, language, crisis and odd messages', () => {
  const suite = appForSuite();

  it('offers "did you mean" with buttons when two topics are equally close, and answers the one picked', async () => {
    const a = suite.app.handbook.byId('nl', 'how-to-report')!;
    const b = suite.app.handbook.byId('nl', 'after-reporting')!;
    const stub = sinon.stub(suite.app.answerer, 'answer').returns({ kind: 'didYouMean', candidates: [a, b], confidence: 0.6 });
    try {
      const chat = new StudentChat(suite.app);
      await chat.send('hoi');
      const replies = await chat.send('melding en dan');
      assert.match(texts(replies), /Gaat je vraag over één van deze onderwerpen/);
      assert.deepEqual(buttons(replies), ['topic:how-to-report', 'topic:after-reporting', 'qna:none']);
      const answer = await chat.send('2');
      assert.match(texts(answer), new RegExp(`Bron: handboek ${b.section.replace('.', '\\.')}`));
      const none = await (async () => {
        await chat.send('melding en dan');
        return chat.press('qna:none');
      })();
      assert.match(texts(none), /andere manier/);
    } finally {
      stub.restore();
    }
  });

  it('says honestly that it does not know, never a random answer, and offers a person after two misses', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    let replies = await chat.send('wat is de hoofdstad van frankrijk');
    assert.match(texts(replies), /weet ik geen antwoord/);
    assert.doesNotMatch(texts(replies), /Bron: handboek/);
    assert.deepEqual(buttons(replies), ['menu:topics', 'menu:human', 'menu:main']);
    replies = await chat.send('hoe maak ik pannenkoeken');
    assert.match(texts(replies), /medewerker/);
  });

  it('switches language on request, remembers it, and is not flipped by "ok"', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    let replies = await chat.send('English please');
    assert.match(texts(replies), /I'll talk English with you now/);
    replies = await chat.send('ok');
    assert.match(texts(replies), /How can I help|don't know|Choose/);
    replies = await chat.send('can they refuse me because i wear a headscarf');
    assert.match(texts(replies), /Source: handbook/);
    replies = await chat.press('lang:nl');
    assert.match(texts(replies), /Nederlands/);
    replies = await chat.send('ja');
    assert.doesNotMatch(texts(replies), /I'll talk English/);
  });

  it('follows the student into English when they write a full sentence in English', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    const replies = await chat.send('what proof should i keep of what happened at my internship');
    assert.match(texts(replies), /Source: handbook/);
  });

  it('answers crisis words with crisis lines at once, and offers a person', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    const replies = await chat.send('ik wil dood');
    assert.match(texts(replies), /113/);
    assert.match(texts(replies), /112/);
    assert.ok(buttons(replies).includes('menu:human'));
    const danger = await chat.send('my boss threatened to kill me');
    assert.match(texts(danger), /112/);
  });

  it('handles messages without text (image, sticker, location) with a kind explanation', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    const replies = await chat.sendAttachment({ contentType: 'image/jpeg', contentUrl: 'data:image/jpeg;base64,/9j/', name: 'photo.jpg' });
    assert.match(texts(replies), /kan foto's, spraakberichten en bestanden hier niet lezen/);
    assert.ok(buttons(replies).includes('menu:ask'));
    const empty = await chat.send('');
    assert.ok(empty.length > 0, 'an empty message still gets a reply');
  });

  it('explains itself on "help" and shows the menu on "menu", at any moment', async () => {
    const chat = new StudentChat(suite.app);
    await chat.send('hoi');
    let replies = await chat.send('help');
    assert.match(texts(replies), /Ik beantwoord vragen/);
    await chat.send('ik wil melden');
    replies = await chat.send('help');
    assert.match(texts(replies), /Vertel wat er gebeurde/, 'help explains the current question');
    replies = await chat.send('menu');
    assert.ok(buttons(replies).includes('menu:report'));
    assert.ok(buttons(replies).includes('cmd:resume'), 'the unfinished report can be resumed from the menu');
  });

  it('greets a Web Chat student who joins before they type', async () => {
    const chat = new StudentChat(suite.app);
    const replies = await chat.join();
    assert.match(texts(replies), /Ik ben Stagemaatje/);
    const again = await chat.join();
    assert.equal(again.length, 0, 'greets once');
  });
});
