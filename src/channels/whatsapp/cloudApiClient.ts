/**
 * The outbound half of the Cloud API: send a message, mark a message as read (with "typing…"), look
 * up and download media. Every call has a timeout; calls that can succeed later (HTTP 429/5xx,
 * rate limits, timeouts) are retried with exponential backoff; anything else fails at once with a
 * CloudApiError that says what Meta answered. Nothing is swallowed here: callers decide.
 *
 * Meta's advice is to act on the error `code`, not on the HTTP status (contracts.md §4.3-4.4).
 */
import { z } from 'zod';
import type { Logger } from '../../logger';
import { readLimited } from '../media';

/** Codes worth another try after a pause: rate limits, throughput upgrades, temporary errors. */
const RETRYABLE_CODES = new Set([1, 2, 4, 80007, 130429, 131056, 131057]);
/** The (business, student) pair limit: about one message per 6 s to the same student. */
const PAIR_RATE_LIMIT = 131056;

export interface CloudApiOptions {
  /** Graph API base URL with version, no trailing slash (https://graph.facebook.com/v23.0). */
  apiUrl: string;
  accessToken: string;
  phoneNumberId: string;
  logger: Logger;
  timeoutMs?: number;
  /** Tries per call, the first included. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Pause after hitting the per-student pair rate limit (131056). */
  pairRateDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface CloudApiErrorInfo {
  kind: 'http' | 'timeout' | 'network' | 'invalid_response';
  status?: number;
  code?: number;
  fbtraceId?: string;
  retryable: boolean;
  retryAfterMs?: number;
}

export class CloudApiError extends Error {
  constructor(readonly info: CloudApiErrorInfo) {
    super(`WhatsApp Cloud API ${info.kind} error${info.status ? ` HTTP ${info.status}` : ''}${info.code !== undefined ? ` code ${info.code}` : ''}`);
    this.name = 'CloudApiError';
  }
}

/** Who a message goes to: the phone number (wa_id) when known, else the business-scoped user id. */
export interface Recipient {
  waId?: string;
  bsuid?: string;
}

/** A Cloud API message body without the envelope (`messaging_product`, `to`). */
export type MessageBody = { type: string } & Record<string, unknown>;

const errorEnvelope = z.object({
  error: z.object({
    code: z.number().int().optional(),
    fbtrace_id: z.string().optional(),
  }),
});
const sendResponse = z.object({ messages: z.array(z.object({ id: z.string().min(1).max(256) })).min(1) });
const mediaResponse = z.object({
  url: z.string().url(),
  mime_type: z.string().max(255).optional(),
  file_size: z.coerce.number().int().nonnegative().optional(),
});
export type MediaInfo = { url: string; mimeType?: string; fileSize?: number };

export class CloudApiClient {
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly pairRateDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: CloudApiOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.pairRateDelayMs = options.pairRateDelayMs ?? 6_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private get messagesUrl(): string {
    return `${this.options.apiUrl}/${encodeURIComponent(this.options.phoneNumberId)}/messages`;
  }

  /** Sends one message; returns Meta's message id (wamid). A 200 means accepted, not delivered. */
  async sendMessage(recipient: Recipient, body: MessageBody): Promise<string> {
    const address = recipient.waId ? { to: recipient.waId } : { recipient: recipient.bsuid };
    const response = await this.request('POST', this.messagesUrl, { messaging_product: 'whatsapp', recipient_type: 'individual', ...address, ...body }, 'send');
    const parsed = sendResponse.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new CloudApiError({ kind: 'invalid_response', status: response.status, retryable: false });
    return parsed.data.messages[0]!.id;
  }

  /** Blue ticks and "typing…" for a student's message. One try: it is a courtesy, not a must. */
  async markRead(wamid: string, typing: boolean): Promise<void> {
    const body = { messaging_product: 'whatsapp', status: 'read', message_id: wamid, ...(typing ? { typing_indicator: { type: 'text' } } : {}) };
    await this.request('POST', this.messagesUrl, body, 'mark_read', 1);
  }

  async mediaInfo(mediaId: string): Promise<MediaInfo> {
    const response = await this.request('GET', `${this.options.apiUrl}/${encodeURIComponent(mediaId)}`, undefined, 'media_info');
    const parsed = mediaResponse.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new CloudApiError({ kind: 'invalid_response', status: response.status, retryable: false });
    return { url: parsed.data.url, mimeType: parsed.data.mime_type, fileSize: parsed.data.file_size };
  }

  /** Downloads from the short-lived media URL Meta gave; stops as soon as the file passes `maxBytes`. */
  async downloadMedia(url: string, maxBytes: number): Promise<{ data: Buffer; contentType?: string }> {
    // The access token goes along, so only to a URL on a secure origin (plain http only when the API itself is, in tests).
    const allowed = this.options.apiUrl.startsWith('https:') ? /^https:\/\//i : /^https?:\/\//i;
    if (!allowed.test(url)) throw new CloudApiError({ kind: 'invalid_response', retryable: false });
    const response = await this.request('GET', url, undefined, 'media_download');
    const data = await readLimited(response, maxBytes);
    return { data, contentType: response.headers.get('content-type') ?? undefined };
  }

  private async request(method: 'GET' | 'POST', url: string, body: unknown, operation: string, attempts = this.attempts): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      let error: CloudApiError;
      try {
        const response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${this.options.accessToken}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (response.ok) return response;
        error = await errorFromResponse(response);
      } catch (err) {
        error = err instanceof CloudApiError ? err : errorFromException(err);
      }
      const { kind, status, code, fbtraceId, retryable } = error.info;
      if (!retryable || attempt >= attempts) {
        this.options.logger.warn({ event: 'whatsapp_api_failed', operation, attempt, kind, status, code, fbtraceId }, 'WhatsApp Cloud API call failed');
        throw error;
      }
      const delayMs = this.delayFor(attempt, error.info);
      this.options.logger.info({ event: 'whatsapp_api_retry', operation, attempt, kind, status, code, delayMs }, 'WhatsApp Cloud API call failed; trying again');
      await this.sleep(delayMs);
    }
  }

  private delayFor(attempt: number, info: CloudApiErrorInfo): number {
    const exponential = this.baseDelayMs * 2 ** (attempt - 1);
    // Jitter spreads retries of many students so they don't hit Meta at the same moment.
    let delay = exponential / 2 + Math.random() * (exponential / 2);
    if (info.code === PAIR_RATE_LIMIT) delay = Math.max(delay, this.pairRateDelayMs * attempt);
    if (info.retryAfterMs !== undefined) delay = Math.max(delay, info.retryAfterMs);
    return Math.round(Math.min(delay, this.maxDelayMs));
  }
}

async function errorFromResponse(response: Response): Promise<CloudApiError> {
  const envelope = errorEnvelope.safeParse(await response.json().catch(() => undefined));
  const code = envelope.success ? envelope.data.error.code : undefined;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new CloudApiError({
    kind: 'http',
    status: response.status,
    code,
    fbtraceId: envelope.success ? envelope.data.error.fbtrace_id : undefined,
    retryable: response.status === 429 || response.status >= 500 || (code !== undefined && RETRYABLE_CODES.has(code)),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  });
}

function errorFromException(err: unknown): CloudApiError {
  const name = (err as Error | undefined)?.name;
  // A timed-out send may have been accepted after all; a duplicate message beats a lost one.
  if (name === 'TimeoutError' || name === 'AbortError') return new CloudApiError({ kind: 'timeout', retryable: true });
  return new CloudApiError({ kind: 'network', retryable: true });
}
