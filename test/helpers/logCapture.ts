/**
 * The app's real logger (src/logger.ts: same redaction and hooks), writing into memory, so a test can
 * check what would have reached the log store.
 */
import { createLogger, type Logger } from '../../src/logger';

export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger;

  constructor(level = 'debug') {
    this.logger = createLogger(level, { write: (line: string) => void this.lines.push(line) });
  }

  /** Every line as parsed JSON. */
  records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  events(): string[] {
    return this.records().map((r) => String(r.event ?? r.msg));
  }

  /**
   * Lines that contain `needle`, as written or once JSON escapes are undone (pino writes a control
   * character as \u0007, and a log viewer shows it again).
   */
  containing(needle: string | RegExp): string[] {
    const test = (text: string) => (typeof needle === 'string' ? text.includes(needle) : needle.test(text));
    return this.lines.filter((line) => test(line) || allStrings(JSON.parse(line)).some(test));
  }

  clear(): void {
    this.lines.splice(0);
  }
}

function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      out.push(key);
      allStrings(v, out);
    }
  }
  return out;
}
