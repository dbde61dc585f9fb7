/**
 * Per-student message rate limit (a sliding one-minute window, in memory per instance).
 * Over the limit the student gets one polite "slow down" and further messages are dropped until
 * the window clears; other students are unaffected. With several instances each has its own
 * window, which is fine for flood protection.
 */
export type RateVerdict = 'allow' | 'warn' | 'drop';

export class RateLimiter {
  private readonly windows = new Map<string, { stamps: number[]; warned: boolean }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): RateVerdict {
    const now = this.now();
    const window = this.windows.get(key) ?? { stamps: [], warned: false };
    window.stamps = window.stamps.filter((t) => now - t < 60_000);
    if (window.stamps.length === 0) window.warned = false;
    if (window.stamps.length >= this.perMinute) {
      this.windows.set(key, window);
      if (window.warned) return 'drop';
      window.warned = true;
      return 'warn';
    }
    window.stamps.push(now);
    this.windows.set(key, window);
    if (this.windows.size > 50_000) this.prune(now);
    return 'allow';
  }

  private prune(now: number): void {
    for (const [key, w] of this.windows) if (w.stamps.every((t) => now - t >= 60_000)) this.windows.delete(key);
  }
}
