/** Why a message to a student could not be sent. Callers (the handoff relay) catch this. */
export type DeliveryErrorReason =
  /** More than 24 hours since the student's last message and no approved template is configured. */
  | 'window_closed'
  /** Meta refused the message, or did not answer after retries. */
  | 'failed'
  /** We know no WhatsApp number for this conversation (never wrote to us, or erased). */
  | 'unknown_recipient';

export class WhatsAppDeliveryError extends Error {
  constructor(
    readonly reason: DeliveryErrorReason,
    readonly options: {
      /** Meta's error code, when Meta gave one. */
      code?: number;
      /** True when trying again later cannot help (a refused message, a closed window). */
      permanent: boolean;
      /** How many WhatsApp messages of the batch were sent before it failed. */
      sent?: number;
    },
  ) {
    super(`WhatsApp message not delivered: ${reason}${options.code !== undefined ? ` (code ${options.code})` : ''}`);
    this.name = 'WhatsAppDeliveryError';
  }

  get code(): number | undefined {
    return this.options.code;
  }

  get permanent(): boolean {
    return this.options.permanent;
  }
}
