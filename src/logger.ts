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

/**
 * The string values of a log call's fields, without control characters and bidi overrides (fields
 * often hold ids taken from an activity). Plain objects and arrays only, a few levels deep.
 */
function cleanFields(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return stripUnsafeCharacters(value);
  if (depth >= 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => cleanFields(v, depth + 1));
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const cleaned: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) cleaned[stripUnsafeCharacters(key)] = cleanFields(v, depth + 1);
  return cleaned;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'stagemaatje' },
      redact: { paths: NEVER_LOG, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }), log: (fields) => cleanFields(fields) as Record<string, unknown> },
      // restify logs a whole request now and then (`req`): its method and path are enough.
      serializers: { req: (req: { method?: string; url?: string }) => ({ method: req?.method, path: stripUnsafeCharacters(String(req?.url ?? '').split('?')[0]!) }) },
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
