/**
 * Works through stored inbound messages, one student at a time and in order, after the webhook has
 * been acknowledged. A student's messages are drained by one task at a time in this process
 * (KeyedQueue) and by one process at a time overall (the lease in wa_inbox).
 *
 * When a turn fails, the message stays pending: it is tried again once its lease expires (recover()
 * runs every 30 s), and it keeps the student's later messages waiting so they never overtake it.
 * After `maxAttempts`, or at once when retrying cannot help, it is marked done and logged.
 */
import type { TurnContext } from 'botbuilder';
import type { Logger } from '../../logger';
import type { InFlight } from '../../server';
import { KeyedQueue } from '../../bots/keyedQueue';
import { DEFAULT_LANGUAGE, translator } from '../../i18n/i18n';
import type { CloudApiClient } from './cloudApiClient';
import { WhatsAppDeliveryError } from './deliveryError';
import type { ClaimedMessage, WhatsAppInbox } from './inbox';
import type { WhatsAppAdapter } from './whatsappAdapter';

export interface InboundProcessorDeps {
  inbox: WhatsAppInbox;
  adapter: WhatsAppAdapter;
  client: CloudApiClient;
  runTurn(context: TurnContext): Promise<void>;
  logger: Logger;
  inFlight: InFlight;
  maxAttempts: number;
}

export class InboundProcessor {
  private readonly queue = new KeyedQueue();
  /** Drains queued but not started yet, per student: one is enough, it will see every stored message. */
  private readonly waiting = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: InboundProcessorDeps) {}

  /** Processes the student's pending messages in the background (shutdown waits for it). */
  schedule(userId: string): Promise<void> {
    const queued = this.waiting.get(userId);
    if (queued) return queued;
    const work = this.deps.inFlight
      .track(() =>
        this.queue.run(userId, async () => {
          this.waiting.delete(userId);
          await this.drain(userId);
        }),
      )
      .catch((err: Error) => {
        this.deps.logger.error({ event: 'whatsapp_drain_failed', userId, err: err.message }, 'could not process WhatsApp messages; recovery will retry');
      });
    this.waiting.set(userId, work);
    return this.keepTrack(work);
  }

  private keepTrack(work: Promise<void>): Promise<void> {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return work;
  }

  /** Picks up messages nobody is working on (a crash, or a failed turn whose lease ran out). */
  async recover(): Promise<void> {
    const users = await this.deps.inbox.usersWithWork();
    if (users.length > 0) this.deps.logger.info({ event: 'whatsapp_recovery', users: users.length }, 'processing WhatsApp messages left pending');
    await Promise.all(users.map((userId) => this.schedule(userId)));
  }

  /** Resolves when all background work started so far (and what it started) is finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async drain(userId: string): Promise<void> {
    for (;;) {
      const claimed = await this.deps.inbox.claimNext(userId);
      if (!claimed) return;
      const finished = await this.process(claimed);
      if (!finished) return;
    }
  }

  /** Returns false when the message stays pending for a retry (which also holds back later ones). */
  private async process(claimed: ClaimedMessage): Promise<boolean> {
    const { key, userId, payload } = claimed;
    if (!payload || claimed.attempts > this.deps.maxAttempts) {
      // Unreadable, or every earlier attempt died before it could even record its failure.
      this.deps.logger.error({ event: 'whatsapp_message_abandoned', message: key, userId, attempt: claimed.attempts, reason: payload ? 'attempts' : 'unreadable' }, 'WhatsApp message given up on');
      await this.deps.inbox.markDone(key);
      return true;
    }
    try {
      if (payload.replies) {
        await this.deps.adapter.deliverPending(key, userId, payload.message, payload.replies);
      } else {
        this.markRead(payload.message.wamid);
        await this.deps.adapter.processInbound(key, userId, payload.message, (context) => this.deps.runTurn(context));
      }
    } catch (err) {
      return this.failed(claimed, err as Error);
    }
    await this.deps.inbox.markDone(key);
    return true;
  }

  private async failed(claimed: ClaimedMessage, err: Error): Promise<boolean> {
    const delivery = err instanceof WhatsAppDeliveryError ? err : undefined;
    const fields = {
      message: claimed.key,
      userId: claimed.userId,
      attempt: claimed.attempts,
      err: err.message,
      ...(delivery ? { reason: delivery.reason, code: delivery.code } : {}),
    };
    const giveUp = Boolean(delivery?.permanent) || claimed.attempts >= this.deps.maxAttempts;
    if (!giveUp) {
      this.deps.logger.warn({ event: 'whatsapp_turn_failed', ...fields, stack: err.stack }, 'WhatsApp turn failed; it will be retried after the lease');
      return false;
    }
    this.deps.logger.error({ event: 'whatsapp_message_abandoned', ...fields, stack: err.stack }, 'WhatsApp message given up on');
    await this.deps.inbox.markDone(claimed.key);
    if (!delivery && claimed.payload) {
      // The bot itself kept failing: at least tell the student, so they are not left waiting.
      await this.deps.adapter
        .deliverPending(claimed.key, claimed.userId, claimed.payload.message, { activities: [{ type: 'message', text: translator(DEFAULT_LANGUAGE)('errors.turnFailed') }], sent: 0 })
        .catch(() => undefined);
    }
    return true;
  }

  /** Blue ticks and "typing…" while the bot works. A courtesy: failures are only logged. */
  private markRead(wamid: string): void {
    void this.keepTrack(
      this.deps.inFlight
        .track(() => this.deps.client.markRead(wamid, true))
        .catch((err: Error) => this.deps.logger.debug({ event: 'whatsapp_mark_read_failed', err: err.message }, 'could not mark a message as read')),
    );
  }
}
