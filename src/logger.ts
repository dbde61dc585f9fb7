/**
 * Structured logging (pino). Log ids and events, never what a student typed:
 * message text, names, e-mail addresses and phone numbers stay out of log lines.
 * The redact list is a safety net for fields that must never be written, not a licence to pass them.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import { stripUnsafeCharacters } from './text/normalize';

export type { Logger } from 'pino';

const NEVER_LOG = [
  'text', '*.text', 'body', '*.body', 'phone', '*.phone', 'email', '*.email', 'name', '*.name',
  'waId', '*.waId', 'wa_id', '*.wa_id', 'from.name', 'authorization', '*.authorization',
  'headers.authorization', 'accessToken', '*.accessToken', 'password', '*.password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'stagemaatje' },
      redact: { paths: NEVER_LOG, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Ids coming from outside can hold bidi overrides or control characters that garble log viewers.
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? stripUnsafeCharacters(a) : a));
          return method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Logger for command-line tools: standard output is for their data, so logs go to standard error. */
export function createCliLogger(level = 'warn'): Logger {
  return createLogger(level, pino.destination({ fd: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
