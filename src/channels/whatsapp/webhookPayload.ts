/**
 * What Meta posts to the webhook, validated with zod, and turned into our own small shapes:
 * InboundMessage (one per student message, ready to become an Activity) and StatusUpdate (delivery
 * news about messages we sent). The schemas keep only the fields we use (zod strips the rest), so
 * profile names and other extras never travel further than this file.
 *
 * Meta adds message types and fields over time. One message we cannot read must not make the whole
 * delivery fail (Meta would retry it for days), so messages and statuses are validated one by one
 * and an unreadable message becomes an "unsupported" message the bot answers kindly.
 */
import type { Attachment } from 'botbuilder';
import { z } from 'zod';

/** Attachments point at WhatsApp media by id; the media fetcher downloads them when a dialog asks. */
export const MEDIA_URL_PREFIX = 'whatsapp-media:';
// Content types for what is not a file. media.ts isEvidenceFile() must say no to each of them:
// "sticker", "location" and "contact" are on its deny list, and "message/" is not a file type.
export const STICKER_CONTENT_TYPE = 'application/vnd.whatsapp.sticker';
export const LOCATION_CONTENT_TYPE = 'application/vnd.stagemaatje.location';
export const CONTACTS_CONTENT_TYPE = 'application/vnd.stagemaatje.contacts';
export const UNSUPPORTED_CONTENT_TYPE = 'message/vnd.stagemaatje.unsupported';

export function mediaIdFrom(contentUrl: string | undefined): string | undefined {
  if (!contentUrl?.startsWith(MEDIA_URL_PREFIX)) return undefined;
  const id = contentUrl.slice(MEDIA_URL_PREFIX.length);
  return /^[\w.-]{1,256}$/.test(id) ? id : undefined;
}

const id = z.string().min(1).max(256);
const unixSeconds = z.string().regex(/^\d{1,12}$/);
const shortText = z.string().max(4096);

const mediaObject = z.object({
  id,
  mime_type: z.string().max(255).optional(),
  caption: shortText.optional(),
  filename: z.string().max(1024).optional(),
});

// A WhatsApp number (wa_id) is digits only. The pseudonymous user id keeps only the digits of a
// number, so anything else (Meta never sends it) would merge different senders into one student.
const waId = z.string().regex(/^\d{1,20}$/);

/** Who sent a message and when: enough to answer even a message we cannot read. */
const messageHeadSchema = z.object({
  id,
  from: waId.optional(),
  from_user_id: z.string().max(128).optional(),
  timestamp: unixSeconds,
});

const messageSchema = messageHeadSchema.extend({
  type: z.string().min(1).max(64),
  text: z.object({ body: z.string().max(65_536) }).optional(),
  interactive: z
    .object({
      type: z.string().max(64),
      button_reply: z.object({ id, title: shortText.optional() }).optional(),
      list_reply: z.object({ id, title: shortText.optional() }).optional(),
    })
    .optional(),
  button: z.object({ payload: z.string().max(1024).optional(), text: shortText.optional() }).optional(),
  image: mediaObject.optional(),
  document: mediaObject.optional(),
  audio: mediaObject.optional(),
  video: mediaObject.optional(),
  sticker: mediaObject.optional(),
});
type RawMessage = z.infer<typeof messageSchema>;

const statusSchema = z.object({
  id,
  status: z.string().min(1).max(32),
  timestamp: unixSeconds,
  errors: z.array(z.object({ code: z.number().int() })).max(20).optional(),
});

const contactSchema = z.object({
  wa_id: waId.optional(),
  user_id: z.string().max(128).optional(),
});

const changeSchema = z.object({
  field: z.string().max(64).optional(),
  value: z
    .object({
      metadata: z.object({ phone_number_id: z.string().max(64) }).optional(),
      contacts: z.array(z.unknown()).max(1000).optional(),
      messages: z.array(z.unknown()).max(1000).optional(),
      statuses: z.array(z.unknown()).max(1000).optional(),
      errors: z.array(z.unknown()).max(1000).optional(),
    })
    .optional(),
});

export const webhookSchema = z.object({
  object: z.string().max(64),
  entry: z
    .array(z.object({ changes: z.array(changeSchema).max(1000).optional() }))
    .max(1000),
});
export type WebhookPayload = z.infer<typeof webhookSchema>;

/** One student message, in the form we store (encrypted) and turn into an Activity. */
export interface InboundMessage {
  /** Meta's message id (wamid). It encodes the phone number: never log or store it in the clear. */
  wamid: string;
  waId?: string;
  /** Business-scoped user id, sent by Meta since 2026 (and instead of wa_id for users with a username). */
  bsuid?: string;
  /** Unix seconds, from Meta. */
  timestamp: number;
  /** The WhatsApp message type (text, interactive, image, …). */
  type: string;
  text: string;
  /** The value of a pressed button or list row. */
  choice?: string;
  attachments: Attachment[];
}

export interface StatusUpdate {
  wamid: string;
  status: string;
  timestamp: number;
  /** The first error code of a failed message. */
  code?: number;
}

export interface WebhookContents {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  /** Codes of out-of-band errors (value.errors), for the log. */
  errorCodes: number[];
  /** Changes for another phone number, reactions, system messages, unreadable items. */
  ignored: number;
}

/** Types that are not a message to answer: a reaction on our message, a number change notice. */
const IGNORED_TYPES = new Set(['reaction', 'system', 'request_welcome', 'ephemeral']);

function attachmentFor(message: RawMessage): Attachment[] {
  switch (message.type) {
    case 'image':
    case 'document':
    case 'audio':
    case 'video': {
      const media = message[message.type];
      if (!media) return [];
      const attachment: Attachment = {
        contentType: media.mime_type || `${message.type === 'document' ? 'application' : message.type}/octet-stream`,
        contentUrl: `${MEDIA_URL_PREFIX}${media.id}`,
      };
      if (media.filename) attachment.name = media.filename;
      return [attachment];
    }
    case 'sticker':
      return message.sticker ? [{ contentType: STICKER_CONTENT_TYPE, contentUrl: `${MEDIA_URL_PREFIX}${message.sticker.id}`, name: 'sticker' }] : [];
    // The bot has no use for where a student is or whom they know: only say what arrived, not its content.
    case 'location':
      return [{ contentType: LOCATION_CONTENT_TYPE, name: 'location' }];
    case 'contacts':
      return [{ contentType: CONTACTS_CONTENT_TYPE, name: 'contacts' }];
    default:
      return [];
  }
}

function contentOf(message: RawMessage): Pick<InboundMessage, 'text' | 'choice' | 'attachments' | 'type'> {
  switch (message.type) {
    case 'text':
      return { type: 'text', text: message.text?.body ?? '', attachments: [] };
    case 'interactive': {
      const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
      if (reply) return { type: 'interactive', text: reply.id, choice: reply.id, attachments: [] };
      break;
    }
    case 'button': {
      // A quick-reply button on a template message.
      const payload = message.button?.payload;
      const label = message.button?.text ?? payload ?? '';
      return { type: 'button', text: label, ...(payload ? { choice: payload } : {}), attachments: [] };
    }
    case 'image':
    case 'document':
    case 'audio':
    case 'video':
    case 'sticker':
    case 'location':
    case 'contacts': {
      const attachments = attachmentFor(message);
      if (attachments.length === 0) break;
      const caption = message.type === 'sticker' ? undefined : message[message.type as 'image']?.caption;
      return { type: message.type, text: caption ?? '', attachments };
    }
    default:
      break;
  }
  return unsupported(message.type);
}

function unsupported(type: string): Pick<InboundMessage, 'text' | 'attachments' | 'type'> {
  return { type, text: '', attachments: [{ contentType: UNSUPPORTED_CONTENT_TYPE, name: 'unsupported' }] };
}

/** The sender's entry in `contacts[]`; a lone entry only counts when the message names no sender. */
function contactFor(contacts: Array<z.infer<typeof contactSchema>>, message: { from?: string; from_user_id?: string }) {
  return (
    contacts.find((c) => c.wa_id !== undefined && c.wa_id === message.from) ??
    contacts.find((c) => c.user_id !== undefined && c.user_id === message.from_user_id) ??
    (!message.from && !message.from_user_id && contacts.length === 1 ? contacts[0] : undefined)
  );
}

/**
 * Everything in a webhook payload that concerns our phone number, in payload order
 * (entries, then changes, then messages). Anything for another number is counted as ignored.
 */
export function toInbound(payload: WebhookPayload, phoneNumberId: string): WebhookContents {
  const result: WebhookContents = { messages: [], statuses: [], errorCodes: [], ignored: 0 };
  if (payload.object !== 'whatsapp_business_account') {
    result.ignored++;
    return result;
  }
  for (const entry of payload.entry) {
    for (const change of entry.changes ?? []) {
      const value = change.value;
      if (!value) continue;
      const items = (value.messages?.length ?? 0) + (value.statuses?.length ?? 0) + (value.errors?.length ?? 0);
      if (value.metadata?.phone_number_id !== phoneNumberId) {
        result.ignored += Math.max(1, items);
        continue;
      }
      const contacts = (value.contacts ?? []).flatMap((c) => {
        const parsed = contactSchema.safeParse(c);
        return parsed.success ? [parsed.data] : [];
      });
      for (const raw of value.messages ?? []) {
        const parsed = messageSchema.safeParse(raw);
        // A message we cannot fully read still gets a kind answer, as long as we know who sent it.
        const head = parsed.success ? parsed.data : messageHeadSchema.safeParse(raw).data;
        if (!head || (parsed.success && IGNORED_TYPES.has(parsed.data.type))) {
          result.ignored++;
          continue;
        }
        const contact = contactFor(contacts, head);
        const waId = head.from ?? contact?.wa_id;
        const bsuid = head.from_user_id ?? contact?.user_id;
        if (!waId && !bsuid) {
          result.ignored++;
          continue;
        }
        result.messages.push({
          wamid: head.id,
          ...(waId ? { waId } : {}),
          ...(bsuid ? { bsuid } : {}),
          timestamp: Number(head.timestamp),
          ...(parsed.success ? contentOf(parsed.data) : unsupported('unsupported')),
        });
      }
      for (const raw of value.statuses ?? []) {
        const parsed = statusSchema.safeParse(raw);
        if (!parsed.success) {
          result.ignored++;
          continue;
        }
        const code = parsed.data.errors?.[0]?.code;
        result.statuses.push({
          wamid: parsed.data.id,
          status: parsed.data.status,
          timestamp: Number(parsed.data.timestamp),
          ...(code !== undefined ? { code } : {}),
        });
      }
      for (const raw of value.errors ?? []) {
        const code = (raw as { code?: unknown } | null)?.code;
        if (typeof code === 'number') result.errorCodes.push(code);
      }
    }
  }
  return result;
}
