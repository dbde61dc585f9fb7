// Placeholder until the WhatsApp channel lands (being written now); replaced by the real implementation.
import type { WhatsAppChannel, WhatsAppChannelDeps } from './index';

export function createWhatsAppChannel(_deps: WhatsAppChannelDeps): WhatsAppChannel {
  throw new Error('the WhatsApp channel is not implemented yet');
}
