import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import { testApp } from '../helpers/app';
import { FakeConnector } from '../helpers/fakeConnector';
import { resetDb, testDb } from '../helpers/db';

describe('HTTP server', () => {
  let app: App;
  let base: string;
  let connector: FakeConnector;

  before(async () => {
    connector = await new FakeConnector().start();
    app = await testApp();
    const { port } = await app.listen();
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app.stop();
    await connector.stop();
  });

  it('reports liveness on /healthz and database readiness on /readyz, as JSON', async () => {
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', database: 'ok' });
  });

  it('answers a Bot Framework message posted to /api/messages by replying to its serviceUrl (no credentials)', async () => {
    const res = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        id: 'in-1',
        channelId: 'webchat',
        serviceUrl: connector.url,
        from: { id: 'web-user-1', name: 'Student' },
        recipient: { id: 'bot', name: 'Stagemaatje' },
        conversation: { id: 'web-conv-1' },
        text: 'mag een bedrijf me weigeren omdat ik een hoofddoek draag?',
      }),
    });
    assert.equal(res.status, 200);
    const replies = connector.activities('web-conv-1');
    assert.ok(replies.length > 0, 'the bot replied through the connector');
    const all = replies.map((r) => r.text).join('\n');
    assert.match(all, /Bron: handboek/);
    const replyCall = connector.calls.find((c) => c.conversationId === 'web-conv-1');
    assert.equal(replyCall?.activityId, 'in-1', 'a reply to the inbound activity');
  });

  it('rejects malformed JSON with 400 and keeps serving', async () => {
    const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type": "message", ' });
    assert.equal(res.status, 400);
    const notActivity = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(notActivity.status, 400);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it('rejects an oversized body with 413 and keeps serving', async () => {
    const big = JSON.stringify({ type: 'message', text: 'x'.repeat(app.config.maxRequestBytes + 10) });
    const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal(res.status, 413);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });
});

describe('metrics endpoint', () => {
  it('serves Prometheus metrics: turns, latency, handoff queue; protected by METRICS_TOKEN when set', async () => {
    await resetDb(await testDb());
    const connector = await new FakeConnector().start();
    const app = await testApp({ METRICS_TOKEN: 'geheim-token' });
    const { port } = await app.listen();
    const base = `http://127.0.0.1:${port}`;
    try {
      await fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', id: 'm1', channelId: 'webchat', serviceUrl: connector.url, from: { id: 'u-metrics' }, recipient: { id: 'bot' }, conversation: { id: 'c-metrics' }, text: 'hoi' }),
      });
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      const res = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer geheim-token' } });
      assert.equal(res.status, 200);
      const body = await res.text();
      assert.match(body, /stagemaatje_turns_total\{channel="webchat",outcome="ok"\} 1/);
      assert.match(body, /stagemaatje_turn_duration_seconds_bucket/);
      assert.match(body, /stagemaatje_handoff_queue_length\{state="queued"\} 0/);
      assert.match(body, /stagemaatje_outbound_failures_total/);
      assert.match(body, /stagemaatje_process_cpu_user_seconds_total/);
    } finally {
      await app.stop();
      await connector.stop();
    }
  });
});
