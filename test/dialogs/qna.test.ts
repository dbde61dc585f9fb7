import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import { testApp } from '../helpers/app';
import { resetDb, testDb } from '../helpers/db';
import { StudentChat, buttons, texts } from '../helpers/studentChat';

describe('student conversation: welcome and questions', () => {
  let app: App;
  before(async () => {
    app = await testApp();
  });
  beforeEach(async () => resetDb(await testDb()));

  it('welcomes a new student with who the bot is, privacy and a menu', async () => {
    const chat = new StudentChat(app);
    const replies = await chat.send('hoi');
    const all = texts(replies);
    assert.match(all, /Stagemaatje/);
    assert.match(all, /versleuteld/);
    assert.deepEqual(buttons(replies).slice(0, 4), ['menu:ask', 'menu:report', 'menu:human', 'menu:myReports']);
  });

  it('answers a handbook question with the source section and follow-up buttons', async () => {
    const chat = new StudentChat(app);
    await chat.send('hoi');
    const replies = await chat.send('mag een bedrijf me weigeren omdat ik een hoofddoek draag?');
    assert.match(texts(replies), /Bron: handboek 2\.4/);
    assert.ok(buttons(replies).includes('menu:report'));
  });
});
