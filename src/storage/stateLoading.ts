/**
 * Loads several botbuilder states (conversation and user) with ONE storage read at the start of a
 * turn, instead of one read each when their properties are first touched. BotState caches a turn's
 * state in turnState under a private symbol; we fill that cache the way BotState.load would.
 */
import { calculateChangeHash, type BotState, type Storage, type TurnContext } from 'botbuilder';

type KeyedState = BotState & { getStorageKey(context: TurnContext): string | undefined };

export async function loadStatesTogether(storage: Storage, context: TurnContext, states: KeyedState[]): Promise<void> {
  const keys = states.map((s) => s.getStorageKey(context));
  const present = keys.filter((k): k is string => Boolean(k));
  const items = present.length ? await storage.read(present) : {};
  states.forEach((state, i) => {
    const key = keys[i];
    if (!key) return;
    const item = (items[key] ?? {}) as Record<string, unknown>;
    const cacheKey = (state as unknown as { stateKey: symbol }).stateKey;
    context.turnState.set(cacheKey, { state: item, hash: calculateChangeHash(item) });
  });
}
