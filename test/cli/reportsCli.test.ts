import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import crypto from 'node:crypto';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/logger';
import { testConfig, TEST_KEY } from '../helpers/app';
import type { Draft } from '../../src/reports/model';

const root = path.resolve(__dirname, '../..');

const complete: Draft = {
  description: 'Ze zeiden: "geen hoofddoek", en =HYPERLINK("x") in een bericht',
  role: 'victim',
  when: { date: '2026-11-10', precision: 'day', text: '10 november' },
  moment: 'interview',
  organisation: 'Kapsalon Het Plein',
  consent: { given: true, at: '2026-11-20T10:00:00.000Z', textVersion: 'v', lang: 'nl' },
  grounds: ['religion'],
  school: '',
  evidence: { status: 'none', files: [] },
  wishes: ['advice'],
  contact: { method: 'email', value: 'sara@example.nl' },
};

describe('reports command-line tool', function () {
  this.timeout(60_000);
  let dataDir: string;
  let ref: string;

  before(async () => {
    const config = testConfig();
    dataDir = config.dataDir;
    const app = await createApp(config, silentLogger);
    ({ ref } = await app.reports.submit('owner-1', crypto.randomUUID(), 'nl', complete));
    await app.reports.submit('owner-2', crypto.randomUUID(), 'en', { ...complete, grounds: undefined, consent: { ...complete.consent!, given: false } });
    await app.stop();
  });

  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'scripts/reports.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, REPORT_ENCRYPTION_KEY: TEST_KEY, NODE_OPTIONS: '--no-deprecation' },
      encoding: 'utf8',
    });

  it('lists reports as a table and as JSON', () => {
    const table = run('list');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /REF\s+STATUS/);
    assert.match(table.stdout, new RegExp(ref));
    const json = run('list', '--json');
    const parsed = JSON.parse(json.stdout) as Array<{ ref: string; facts: { grounds: string[] } }>;
    assert.equal(parsed.length, 2);
    assert.ok(parsed.some((r) => r.ref === ref && r.facts.grounds[0] === 'religion'));
  });

  it('shows one report with its decrypted content', () => {
    const shown = run('show', ref.toLowerCase());
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /Kapsalon Het Plein/);
    assert.match(shown.stdout, /sara@example\.nl/);
    const json = JSON.parse(run('show', ref, '--json').stdout) as { content: { organisation: string } };
    assert.equal(json.content.organisation, 'Kapsalon Het Plein');
  });

  it('changes the status with a note, and refuses an unknown status or reference', () => {
    const changed = run('status', ref, 'in_progress', '--note', 'gebeld met student');
    assert.equal(changed.status, 0, changed.stderr);
    const shown = run('show', ref);
    assert.match(shown.stdout, /status_changed → in_progress \(counsellor\): gebeld met student/);
    const badStatus = run('status', ref, 'finished');
    assert.equal(badStatus.status, 2);
    assert.match(badStatus.stderr, /must be one of/);
    const badRef = run('status', 'SM-2222-2222', 'closed');
    assert.equal(badRef.status, 1);
    const notARef = run('show', '12345');
    assert.equal(notARef.status, 2);
  });

  it('exports JSON and spreadsheet-safe CSV, optionally since a date', () => {
    const json = JSON.parse(run('export', '--format', 'json').stdout) as unknown[];
    assert.equal(json.length, 2);
    const csv = run('export', '--format', 'csv');
    assert.equal(csv.status, 0, csv.stderr);
    const lines = csv.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ref,status,submitted_at/);
    assert.equal(lines.length, 3);
    assert.match(csv.stdout, /"Ze zeiden: ""geen hoofddoek"", en =HYPERLINK/);
    const none = JSON.parse(run('export', '--format', 'json', '--since', '2999-01-01').stdout) as unknown[];
    assert.equal(none.length, 0);
    assert.equal(run('export', '--format', 'xml').status, 2);
    assert.equal(run('export', '--format', 'csv', '--since', 'yesterday').status, 2);
  });

  it('erases a report, leaving only an anonymous count', () => {
    const erased = run('erase', ref);
    assert.equal(erased.status, 0, erased.stderr);
    assert.equal(run('show', ref).status, 1);
    assert.equal(run('erase', ref).status, 1);
  });
});
