/**
 * Builds the real application (src/app.ts) over the shared test database, with test config.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { createApp, type App, type AppOverrides } from '../../src/app';
import { createLogger, silentLogger, type Logger } from '../../src/logger';
import { resetDb, testDb } from './db';

export const TEST_KEY = Buffer.alloc(32, 7).toString('base64');

export function testConfig(env: Record<string, string> = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagemaatje-test-'));
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: dataDir,
    REPORT_ENCRYPTION_KEY: TEST_KEY,
    COUNSELLOR_HOURS: 'always',
    // Tests chat faster than any student; the rate limit has its own test.
    RATE_LIMIT_MESSAGES_PER_MINUTE: '10000',
    ...env,
  });
}

/** TEST_LOG=debug npx mocha ... shows the app's logs while debugging a test. */
const defaultLogger = (): Logger => (process.env.TEST_LOG ? createLogger(process.env.TEST_LOG) : silentLogger);

export async function testApp(env: Record<string, string> = {}, overrides: AppOverrides = {}, logger: Logger = defaultLogger()): Promise<App> {
  return createApp(testConfig(env), logger, { db: await testDb(), ...overrides });
}

/**
 * The app for a whole describe block: started before its first test and stopped after its last, on
 * a test database emptied before each test. Use `suite.app` inside the tests.
 */
export function appForSuite(env: Record<string, string> = {}, overrides: AppOverrides = {}): { readonly app: App } {
  const suite = {} as { app: App };
  before(async () => {
    suite.app = await testApp(env, overrides);
  });
  after(async () => suite.app?.stop());
  beforeEach(async () => resetDb(await testDb()));
  return suite;
}
