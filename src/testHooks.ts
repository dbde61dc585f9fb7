/**
 * Hooks for test/reliability/crash.test.ts, which starts real server processes and cuts their power
 * at a chosen moment. They exist only when config.testHooks is set, i.e. with NODE_ENV=test
 * (src/config.ts refuses their variables otherwise).
 */
import type { TurnContext } from 'botbuilder';
import type { TestHooks } from './config';

/**
 * A power cut once a turn's logic has run (drafts are written, replies are held) and before its
 * state is saved: the process kills itself with SIGKILL.
 */
export function crashBeforeSave(hooks: TestHooks | undefined): ((context: TurnContext) => Promise<void>) | undefined {
  if (!hooks?.crashBeforeSave) return undefined;
  return async (context) => {
    if (hooks.crashOnText !== undefined && context.activity.text !== hooks.crashOnText) return;
    process.kill(process.pid, 'SIGKILL');
    // The signal is delivered at once; never let the turn go on meanwhile.
    await new Promise<never>(() => undefined);
  };
}
