/**
 * Runs tasks one at a time per key (a conversation), in arrival order, while different keys run in
 * parallel. Two quick messages from one student are then handled in order in this process; across
 * processes the eTag check on conversation state guards the same thing.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Number of keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
