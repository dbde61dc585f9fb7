/**
 * npm run chat
 * Talk to Stagemaatje in the terminal: the same bot and dialogs as every channel, no cloud account.
 * Buttons are shown as numbers; type the number (or the label) to press one.
 * Uses its own embedded database under DATA_DIR/chat (or DATABASE_URL when set), so it can run next
 * to `npm start`. Type /quit to leave, /new to start as a new student.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import crypto from 'node:crypto';
import { ActivityTypes, TestAdapter, type Activity } from 'botbuilder';
import { loadConfig, ConfigError } from '../src/config';
import { createCliLogger } from '../src/logger';
import { createApp } from '../src/app';
import { openDb } from '../src/storage/db';
import { projectRoot } from '../src/paths';

async function main(): Promise<void> {
  const envFile = path.join(projectRoot(), '.env');
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);
  const config = loadConfig();
  const logger = createCliLogger(process.env.LOG_LEVEL ?? 'warn');
  const db = await openDb({ url: config.database.url, dataDir: path.join(config.dataDir, 'chat'), schema: config.database.schema });
  const app = await createApp(config, logger, { db });

  let user = `terminal-${crypto.randomBytes(4).toString('hex')}`;
  const adapter = new TestAdapter(async (context) => app.studentBot.run(context));
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  // Take lines from now on: piped input arrives while the greeting is still being made.
  const lines = rl[Symbol.asyncIterator]();

  const show = (replies: Partial<Activity>[]) => {
    for (const reply of replies) {
      if (reply.type !== ActivityTypes.Message) continue;
      process.stdout.write(`\n\x1b[36mStagemaatje:\x1b[0m ${reply.text ?? ''}\n`);
      const actions = reply.suggestedActions?.actions ?? [];
      if (actions.length > 0) process.stdout.write(actions.map((a, i) => `  [${i + 1}] ${a.title}`).join('\n') + '\n');
    }
  };
  const send = async (activity: Partial<Activity>) => {
    adapter.activeQueue.splice(0);
    await adapter.processActivity({
      channelId: 'terminal',
      from: { id: user, name: 'Student' },
      recipient: { id: 'stagemaatje', name: 'Stagemaatje' },
      conversation: { id: user, isGroup: false, conversationType: 'personal', name: '' },
      serviceUrl: 'http://127.0.0.1/',
      ...activity,
    });
    show(adapter.activeQueue.splice(0));
  };

  process.stdout.write('Stagemaatje in de terminal. Typ /quit om te stoppen, /new voor een nieuwe student.\n');
  await send({ type: ActivityTypes.ConversationUpdate, membersAdded: [{ id: user, name: 'Student' }] });
  const prompt = () => process.stdout.write('\n\x1b[33mJij:\x1b[0m ');
  prompt();
  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    if (line.trim() === '/quit') break;
    if (line.trim() === '/new') {
      user = `terminal-${crypto.randomBytes(4).toString('hex')}`;
      await send({ type: ActivityTypes.ConversationUpdate, membersAdded: [{ id: user, name: 'Student' }] });
    } else {
      await send({ type: ActivityTypes.Message, text: line });
    }
    prompt();
  }
  rl.close();
  await app.stop();
  await db.close();
}

main().catch((err: Error) => {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) process.stderr.write(`${problem}\n`);
    process.exit(2);
  }
  process.stderr.write(`chat failed: ${err.message}\n`);
  process.exit(1);
});
