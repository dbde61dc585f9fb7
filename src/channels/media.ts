/**
 * Downloads a file a student sent (evidence for a report), whatever the channel: a data: URL or an
 * http(s) URL from Web Chat / the Emulator, or a WhatsApp media id through the Graph API.
 * Every download has a size limit and a timeout.
 */
import type { Attachment, TurnContext } from 'botbuilder';

export interface DownloadedFile {
  contentType: string;
  data: Buffer;
}

export interface MediaFetcher {
  download(context: TurnContext, attachment: Attachment, maxBytes: number): Promise<DownloadedFile>;
}

export class FileTooLargeError extends Error {
  constructor() {
    super('file too large');
    this.name = 'FileTooLargeError';
  }
}

/** Reads a fetch Response body, stopping as soon as it exceeds `maxBytes`. */
export async function readLimited(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new FileTooLargeError();
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > maxBytes) throw new FileTooLargeError();
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

export class HttpMediaFetcher implements MediaFetcher {
  constructor(private readonly timeoutMs = 15_000) {}

  async download(_context: TurnContext, attachment: Attachment, maxBytes: number): Promise<DownloadedFile> {
    const url = attachment.contentUrl;
    if (!url) throw new Error('attachment has no contentUrl');
    const dataUrl = /^data:([^;,]+)?(;base64)?,(.*)$/s.exec(url);
    if (dataUrl) {
      const data = dataUrl[2] ? Buffer.from(dataUrl[3] ?? '', 'base64') : Buffer.from(decodeURIComponent(dataUrl[3] ?? ''));
      if (data.length > maxBytes) throw new FileTooLargeError();
      return { contentType: attachment.contentType || dataUrl[1] || 'application/octet-stream', data };
    }
    if (!/^https?:\/\//.test(url)) throw new Error('unsupported attachment URL');
    const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!response.ok) throw new Error(`download failed with HTTP ${response.status}`);
    const data = await readLimited(response, maxBytes);
    return { contentType: attachment.contentType || response.headers.get('content-type') || 'application/octet-stream', data };
  }
}

/** Picks the fetcher for the channel the message came from. */
export class ChannelMediaFetcher implements MediaFetcher {
  constructor(
    private readonly fallback: MediaFetcher,
    private readonly byChannel: Record<string, MediaFetcher> = {},
  ) {}

  register(channelId: string, fetcher: MediaFetcher): void {
    this.byChannel[channelId] = fetcher;
  }

  download(context: TurnContext, attachment: Attachment, maxBytes: number): Promise<DownloadedFile> {
    const fetcher = this.byChannel[context.activity.channelId] ?? this.fallback;
    return fetcher.download(context, attachment, maxBytes);
  }
}

/** Images, documents, audio and video can be evidence; stickers, locations and contact cards not. */
export function isEvidenceFile(attachment: Attachment): boolean {
  const type = attachment.contentType ?? '';
  if (/sticker/i.test(type) || (attachment.name ?? '').toLowerCase() === 'sticker') return false;
  return /^(image|video|audio|application|text)\//.test(type) && !/vnd\.microsoft\.card|location|contact|vcard/i.test(type);
}
