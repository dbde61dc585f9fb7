/**
 * Starts Stagemaatje: reads .env (if present), validates config, builds the app, listens, and
 * shuts down cleanly on SIGTERM/SIGINT (finish running turns, close the database).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createApp } from './app';
import { projectRoot } from './paths';

async function main(): Promise<void> {
  const envFile = path.join(projectRoot(), '.env');
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write('Stagemaatje cannot start, the configuration has problems:\n');
      for (const problem of err.problems) process.stderr.write(`  ${problem}\n`);
      process.exit(2);
    }
    throw err;
  }

  const logger = createLogger(config.logLevel);
  const app = await createApp(config, logger);
  await app.listen();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'shutting down');
    app
      .stop()
      .then(() => {
        logger.flush();
        process.exit(0);
      })
      .catch((err: Error) => {
        logger.error({ event: 'shutdown_failed', err: err.message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  process.stderr.write(`Stagemaatje failed to start: ${err.message}\n`);
  process.exit(1);
});
