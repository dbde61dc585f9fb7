/**
 * Conversation state with real optimistic concurrency.
 *
 * botbuilder's BotState.saveChanges sets `eTag = '*'` before writing, so two turns that overlap
 * (two quick messages, two bot instances) silently overwrite each other: last writer wins.
 * This subclass writes with the eTag the state was read with (or "must not exist yet" for a new
 * conversation); the storage then refuses a stale write with an ETagConflictError and the turn runner
 * replays the turn on fresh state (see src/bots/turnRunner.ts).
 */
import { ConversationState, calculateChangeHash, type TurnContext } from 'botbuilder';
import { NEW_ITEM_ETAG } from './pgStorage';

interface CachedState {
  state: Record<string, unknown> & { eTag?: string };
  hash: string;
}

export class OptimisticConversationState extends ConversationState {
  private cacheKey(): symbol {
    // BotState keeps its per-turn cache under a private symbol; we reuse it so property accessors keep working.
    return (this as unknown as { stateKey: symbol }).stateKey;
  }

  override async saveChanges(context: TurnContext, force = false): Promise<void> {
    let cached = context.turnState.get(this.cacheKey()) as CachedState | undefined;
    // The hash leaves the eTag out, so the one taken here still holds after the write.
    const hash = cached ? calculateChangeHash(cached.state) : '';
    if (!force && (!cached || hash === cached.hash)) return;
    const key = await this.storageKey(context);
    if (!key) return;
    if (!cached) cached = { state: {}, hash: '' };
    if (!cached.state.eTag) cached.state.eTag = NEW_ITEM_ETAG;
    await this.storage.write({ [key]: cached.state });
    cached.hash = hash || calculateChangeHash(cached.state);
    context.turnState.set(this.cacheKey(), cached);
  }

  /** Like BotState.clear, but keeps the eTag so the cleared state still saves with concurrency control. */
  override async clear(context: TurnContext): Promise<void> {
    const cached = context.turnState.get(this.cacheKey()) as CachedState | undefined;
    const eTag = cached?.state.eTag;
    context.turnState.set(this.cacheKey(), { state: eTag ? { eTag } : {}, hash: '' });
  }
}
