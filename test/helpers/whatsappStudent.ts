/**
 * A student on WhatsApp for end-to-end tests of the whole app: posts signed webhooks (text, button
 * presses, images) to a listening app and returns what the bot sent back through the fake Graph API.
 */
import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import { FakeGraphApi, offeredIds, shownText, type SentMessage } from '../channels/whatsapp/fakeGraphApi';
import { messagesPayload, nowSeconds, postWebhook, replyMessage, textMessage, wamid, type RawMessage } from '../channels/whatsapp/harness';

export class WhatsAppStudent {
  last: SentMessage[] = [];
  /** Every message id this student sent (wamids encode the phone number: they must not be logged). */
  readonly sentIds: string[] = [];

  constructor(
    readonly app: App,
    readonly graph: FakeGraphApi,
    readonly base: string,
    readonly waId: string,
  ) {}

  async send(message: RawMessage): Promise<SentMessage[]> {
    const before = this.mine().length;
    const withSender: RawMessage = { ...message, from: this.waId };
    this.sentIds.push(String(withSender.id));
    const res = await postWebhook(this.base, messagesPayload(withSender));
    assert.equal(res.status, 200);
    await this.app.whatsapp!.settled();
    this.last = this.mine().slice(before);
    return this.last;
  }

  text(text: string): Promise<SentMessage[]> {
    return this.send(textMessage(text));
  }

  /** Presses a reply button or list row (the channel treats both the same). */
  press(id: string): Promise<SentMessage[]> {
    const offered = this.last.some((m) => offeredIds(m).includes(id));
    const kind = offered && this.last.some((m) => m.interactive?.type === 'list' && offeredIds(m).includes(id)) ? 'list_reply' : 'button_reply';
    return this.send(replyMessage(kind, id));
  }

  /** Sends a photo whose bytes the fake Graph API serves under `mediaId`. */
  image(mediaId: string, data: Buffer, caption?: string): Promise<SentMessage[]> {
    this.graph.media.set(mediaId, { data, mimeType: 'image/png' });
    return this.send({ id: wamid(), timestamp: nowSeconds(), type: 'image', image: { id: mediaId, mime_type: 'image/png', ...(caption ? { caption } : {}) } });
  }

  /** All text the bot showed in the last answer. */
  shown(): string {
    return this.last.map(shownText).join('\n');
  }

  offered(): string[] {
    return this.last.flatMap(offeredIds);
  }

  private mine(): SentMessage[] {
    return this.graph.sends().filter((m) => m.to === this.waId);
  }
}
