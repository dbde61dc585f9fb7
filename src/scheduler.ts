/**
 * Periodic jobs (retention clean-up, retries). A job never overlaps with itself, its errors are
 * logged and it runs again next time; timers do not keep the process alive.
 */
import type { Logger } from './logger';

export class Scheduler {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly logger: Logger) {}

  every(name: string, intervalMs: number, job: () => Promise<unknown>, options: { runNow?: boolean } = {}): void {
    let running = false;
    const run = async () => {
      if (running) return;
      running = true;
      try {
        await job();
      } catch (err) {
        this.logger.error({ event: 'job_failed', job: name, err: (err as Error).message }, 'scheduled job failed');
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void run(), intervalMs);
    timer.unref();
    this.timers.push(timer);
    if (options.runNow) void run();
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
