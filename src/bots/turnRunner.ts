/**
 * Runs a student turn so that nothing is lost and nothing is promised too early:
 *
 * 1. Turns of one conversation run one after another (KeyedQueue).
 * 2. Replies are held back (Outbox) until the conversation state is saved. A reply such as
 *    "your report has been sent" therefore only reaches the student once everything behind it
 *    is stored.
 * 3. State is saved with the eTag it was read with (OptimisticConversationState). If another
 *    instance changed the conversation in the meantime, the held replies are dropped, state is
 *    read again and the turn is replayed on it. Everything a turn writes elsewhere is idempotent
 *    (drafts are upserts, a report is keyed by its draft), so a replay does no harm.
 */
import type { Activity, BotState, ResourceResponse, TurnContext } from 'botbuilder';
import type { Logger } from '../logger';
import { isETagConflict } from '../storage/pgStorage';
import { KeyedQueue } from './keyedQueue';

class Outbox {
  private holding = false;
  private held: Partial<Activity>[] = [];

  constructor(private readonly context: TurnContext) {
    context.onSendActivities(async (_ctx, activities, next): Promise<ResourceResponse[]> => {
      if (!this.holding) return next();
      this.held.push(...activities);
      return activities.map(() => ({ id: '' }));
    });
  }

  hold(): void {
    this.held = [];
    this.holding = true;
  }

  discard(): void {
    this.held = [];
    this.holding = false;
  }

  async release(): Promise<void> {
    this.holding = false;
    const activities = this.held;
    this.held = [];
    if (activities.length > 0) await this.context.sendActivities(activities);
  }
}

export class TurnRunner {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly conversationState: BotState,
    private readonly userState: BotState,
    /** Reads the turn's state (both states in one query); run again before a replay. */
    private readonly loadState: (context: TurnContext) => Promise<void>,
    private readonly logger: Logger,
    /** Runs after a turn's logic, before its state is saved (tests: src/testHooks.ts). */
    private readonly beforeSave?: (context: TurnContext) => Promise<void>,
    private readonly maxAttempts = 4,
  ) {}

  run(context: TurnContext, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const key = `${context.activity.channelId}/${context.activity.conversation?.id ?? ''}`;
    return this.queue.run(key, () => this.runWithRetry(context, logic));
  }

  private async runWithRetry(context: TurnContext, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const outbox = new Outbox(context);
    for (let attempt = 1; ; attempt++) {
      outbox.hold();
      try {
        await this.loadState(context);
        await logic(context);
        await this.beforeSave?.(context);
        await this.conversationState.saveChanges(context, false);
        await this.userState.saveChanges(context, false);
      } catch (err) {
        outbox.discard();
        if (isETagConflict(err) && attempt < this.maxAttempts) {
          this.logger.info({ event: 'turn_replayed', reason: 'state_conflict', attempt, activityId: context.activity.id }, 'conversation changed meanwhile; replaying the turn');
          continue;
        }
        throw err;
      }
      await outbox.release();
      return;
    }
  }
}
