import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

const root = path.resolve(__dirname, '../..');

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

describe('configuration', () => {
  it('has working defaults for local use: embedded database, port 3978, Dutch office hours', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3978);
    assert.equal(config.database.url, undefined);
    assert.equal(config.dataDir, './data');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.host, '127.0.0.1', 'without credentials the bot only listens locally');
    assert.equal(config.whatsapp, undefined);
    assert.equal(config.reports.retentionDays, 365);
    assert.equal(config.reports.draftRetentionDays, 30);
  });

  it('reports every bad value, one line each', () => {
    const found = problems({ PORT: 'abc', LOG_LEVEL: 'loud', REPORT_RETENTION_DAYS: '-3', DATABASE_URL: 'not a url' });
    assert.equal(found.length, 4);
    assert.ok(found.some((p) => p.startsWith('PORT:')));
    assert.ok(found.some((p) => p.startsWith('LOG_LEVEL:')));
    assert.ok(found.some((p) => p.startsWith('REPORT_RETENTION_DAYS:')));
    assert.ok(found.some((p) => p.startsWith('DATABASE_URL:')));
    for (const p of found) assert.ok(!p.includes('\n'));
  });

  it('refuses empty Bot Framework credentials in production', () => {
    const found = problems({ NODE_ENV: 'production', REPORT_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') });
    assert.ok(found.some((p) => p.startsWith('MicrosoftAppId:')));
    assert.ok(found.some((p) => p.startsWith('MicrosoftAppPassword:')));
  });

  it('refuses a half-configured WhatsApp channel and a malformed encryption key', () => {
    const found = problems({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_APP_SECRET: 's', REPORT_ENCRYPTION_KEY: 'short' });
    assert.ok(found.some((p) => p.startsWith('WHATSAPP_PHONE_NUMBER_ID:')));
    assert.ok(found.some((p) => p.startsWith('WHATSAPP_VERIFY_TOKEN:')));
    assert.ok(found.some((p) => p.startsWith('REPORT_ENCRYPTION_KEY:')));
  });

  it('takes test hooks only with NODE_ENV=test', () => {
    const hooks = { STAGEMAATJE_TEST_CRASH_POINT: 'after-turn-before-save', STAGEMAATJE_TEST_WHATSAPP_LEASE_MS: '1000' };
    const found = problems(hooks);
    assert.ok(found.some((p) => p.startsWith('STAGEMAATJE_TEST_CRASH_POINT:') && p.includes('NODE_ENV=test')));
    assert.ok(found.some((p) => p.startsWith('STAGEMAATJE_TEST_WHATSAPP_LEASE_MS:')));
    assert.equal(loadConfig({}).testHooks, undefined);
    assert.deepEqual(loadConfig({ NODE_ENV: 'test', ...hooks }).testHooks, { crashBeforeSave: true, crashOnText: undefined, whatsappLeaseMs: 1000 });
  });

  it('refuses malformed counsellor hours', () => {
    assert.ok(problems({ COUNSELLOR_HOURS: 'weekdays 9-5' }).some((p) => p.startsWith('COUNSELLOR_HOURS:')));
    assert.ok(problems({ COUNSELLOR_HOURS: 'mon-fri 17:00-09:00' }).some((p) => p.startsWith('COUNSELLOR_HOURS:')));
    assert.deepEqual(problems({ COUNSELLOR_HOURS: 'mon-thu 09:00-17:00, fri 09:00-12:00' }), []);
    assert.deepEqual(problems({ COUNSELLOR_HOURS: 'always' }), []);
  });

  it('stops the real start-up with one clear line per problem and a non-zero exit code', function () {
    this.timeout(30_000);
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'src/index.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: 'not-a-port', LOG_LEVEL: 'shouting', DATA_DIR: path.join(root, 'data-test-never') },
      encoding: 'utf8',
    });
    assert.notEqual(result.status, 0);
    const lines = result.stderr.split('\n').filter((l) => /^\s+(PORT|LOG_LEVEL):/.test(l));
    assert.equal(lines.length, 2, result.stderr);
  });
});
