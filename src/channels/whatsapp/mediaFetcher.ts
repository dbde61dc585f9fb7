/**
 * Downloads a file a student sent on WhatsApp, when a dialog asks for it (report evidence): the
 * Graph API turns the media id into a short-lived URL, which is fetched with the same token.
 * Files over the limit are refused on the declared size, or as soon as the download passes it.
 */
import type { Attachment, TurnContext } from 'botbuilder';
import { FileTooLargeError, type DownloadedFile, type MediaFetcher } from '../media';
import type { CloudApiClient } from './cloudApiClient';
import { mediaIdFrom } from './webhookPayload';

export class WhatsAppMediaFetcher implements MediaFetcher {
  constructor(private readonly client: CloudApiClient) {}

  async download(_context: TurnContext, attachment: Attachment, maxBytes: number): Promise<DownloadedFile> {
    const mediaId = mediaIdFrom(attachment.contentUrl);
    if (!mediaId) throw new Error('not a WhatsApp media attachment');
    const info = await this.client.mediaInfo(mediaId);
    if (info.fileSize !== undefined && info.fileSize > maxBytes) throw new FileTooLargeError();
    const { data, contentType } = await this.client.downloadMedia(info.url, maxBytes);
    return { contentType: info.mimeType || attachment.contentType || contentType || 'application/octet-stream', data };
  }
}
