import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConversationState, MemoryStorage, TestAdapter, TurnContext, type Activity } from 'botbuilder';
import { Cipher } from '../../src/storage/crypto';
import { openDb } from '../../src/storage/db';
import { migrate } from '../../src/storage/migrations';
import { ETagConflictError, NEW_ITEM_ETAG, PgStorage } from '../../src/storage/pgStorage';
import { OptimisticConversationState } from '../../src/storage/optimisticState';
import { resetDb, testDb } from '../helpers/db';

const cipher = new Cipher(Buffer.alloc(32, 3));

function turn(adapter: TestAdapter, conversation = 'c1'): TurnContext {
  return new TurnContext(adapter, {
    type: 'message',
    channelId: 'test',
    conversation: { id: conversation },
    from: { id: 'u1' },
    recipient: { id: 'bot' },
  } as Activity);
}

describe(`storage (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  beforeEach(async () => resetDb(await testDb()));

  it('reads back what it wrote, Unicode byte for byte, with an eTag', async () => {
    const storage = new PgStorage(await testDb(), cipher);
    const text = 'مرحبا 👩🏽‍🎓 é e\u0301 "quotes" {braces} \\ back';
    await storage.write({ k1: { text, n: 1 } });
    const items = await storage.read(['k1', 'missing']);
    assert.equal(items.k1.text, text);
    assert.equal(Buffer.compare(Buffer.from(items.k1.text), Buffer.from(text)), 0);
    assert.ok(typeof items.k1.eTag === 'string' && items.k1.eTag.length > 0);
    assert.equal(items.missing, undefined);
  });

  it('checks a real eTag and refuses a stale write', async () => {
    const storage = new PgStorage(await testDb(), cipher);
    await storage.write({ k: { v: 1 } });
    const { k: first } = await storage.read(['k']);
    const { k: second } = await storage.read(['k']);
    await storage.write({ k: { ...first, v: 2 } });
    await assert.rejects(storage.write({ k: { ...second, v: 3 } }), ETagConflictError);
    assert.equal((await storage.read(['k'])).k.v, 2);
  });

  it('refuses to create an item that already exists when asked for a new one, and to revive an erased one', async () => {
    const storage = new PgStorage(await testDb(), cipher);
    await storage.write({ k: { v: 1 } });
    await assert.rejects(storage.write({ k: { v: 9, eTag: NEW_ITEM_ETAG } }), ETagConflictError);
    const { k } = await storage.read(['k']);
    await storage.delete(['k']);
    await assert.rejects(storage.write({ k: { ...k, v: 2 } }), ETagConflictError);
  });

  it("writes unconditionally with eTag '*' (botbuilder's default)", async () => {
    const storage = new PgStorage(await testDb(), cipher);
    await storage.write({ k: { v: 1 } });
    await storage.write({ k: { v: 2, eTag: '*' } });
    assert.equal((await storage.read(['k'])).k.v, 2);
  });

  it('never stores readable content when a key is given', async () => {
    const db = await testDb();
    await new PgStorage(db, cipher).write({ k: { secret: 'KANARIE-state' } });
    const { rows } = await db.query('SELECT data::text AS data FROM bot_state');
    assert.ok(!JSON.stringify(rows).includes('KANARIE'));
  });

  it("documents botbuilder's default: two overlapping turns lose one change (last writer wins)", async () => {
    const adapter = new TestAdapter();
    const state = new ConversationState(new MemoryStorage());
    const prop = state.createProperty<string[]>('toppings');
    const a = turn(adapter);
    const b = turn(adapter);
    const listA = await prop.get(a, []);
    const listB = await prop.get(b, []);
    listA!.push('mushrooms');
    listB!.push('cheese');
    await state.saveChanges(a);
    await state.saveChanges(b);
    const check = turn(adapter);
    assert.deepEqual(await prop.get(check), ['cheese'], 'mushrooms were silently lost');
  });

  it('keeps both changes with optimistic state: the second save conflicts and the turn is replayed', async () => {
    const adapter = new TestAdapter();
    const state = new OptimisticConversationState(new PgStorage(await testDb(), cipher));
    const prop = state.createProperty<string[]>('toppings');
    const a = turn(adapter);
    const b = turn(adapter);
    (await prop.get(a, []))!.push('mushrooms');
    (await prop.get(b, []))!.push('cheese');
    await state.saveChanges(a);
    await assert.rejects(state.saveChanges(b), ETagConflictError);
    // Replay turn b on fresh state, as the turn runner does.
    await state.load(b, true);
    (await prop.get(b, []))!.push('cheese');
    await state.saveChanges(b);
    assert.deepEqual(await prop.get(turn(adapter)), ['mushrooms', 'cheese']);
  });

  it('keeps state across a restart of the embedded database', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagemaatje-pglite-'));
    const first = await openDb({ dataDir: dir });
    await migrate(first);
    await new PgStorage(first, cipher).write({ kept: { step: 3, text: 'Ω' } });
    await first.close();
    const second = await openDb({ dataDir: dir });
    const items = await new PgStorage(second, cipher).read(['kept']);
    assert.equal(items.kept.step, 3);
    assert.equal(items.kept.text, 'Ω');
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
