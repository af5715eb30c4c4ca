import { Injectable } from '@nestjs/common';
import type { ErrorKind } from '@mailroom/common';
import { MessageRepository, type NewMessage } from '@mailroom/db';
import { DeliveryEnqueuer } from './delivery-enqueuer';
import { DraftValidator } from './draft-validator';
import type { AcceptResult, AcceptStatus, MessageDraft } from './message-draft';
import { RelaySubmissionReader, type RelaySubmission } from './relay-submission-reader';
import { SendQuota } from './send-quota';
import { SenderDomains } from './sender-domains';
import { SubmissionBatcher } from './submission-batcher';

/**
 * Accepting mail from the API and the relay: validate, drop suppressed recipients, count the
 * hour's quota, store everything in one transaction, then enqueue. A message is in PostgreSQL
 * before anyone is told it was accepted; if Redis is down at that moment, the sweeper enqueues
 * it later. Each step has a class of its own; this one puts them in order.
 */
@Injectable()
export class SendingService {
  constructor(
    private readonly drafts: DraftValidator,
    private readonly relay: RelaySubmissionReader,
    private readonly senderDomains: SenderDomains,
    private readonly quota: SendQuota,
    private readonly submissions: SubmissionBatcher,
    private readonly delivery: DeliveryEnqueuer,
    private readonly messages: MessageRepository,
  ) {}

  /**
   * A message submitted over SMTP (RelaySubmissionReader says how it is read), stored with the
   * messages other sessions submit at the same moment (SubmissionBatcher).
   */
  async acceptSubmission(accountId: string, input: RelaySubmission): Promise<{ id: string; status: AcceptStatus; messageId: string }> {
    const message = await this.relay.read(accountId, input);
    await this.markSuppressed(accountId, [message]);
    const giveBackQuota = await this.quota.take(accountId, 1);
    try {
      await this.submissions.submit(accountId, message);
    } catch (error) {
      await giveBackQuota();
      throw error;
    }
    return { id: message.id, status: message.recipients.every((r) => r.suppressed) ? 'suppressed' : 'queued', messageId: message.messageIdHeader };
  }

  /**
   * Whether `address` may be an envelope sender for the account: on one of its verified domains.
   * The relay asks at MAIL FROM, before the client sends the message.
   */
  checkSender(accountId: string, address: string, field: string): Promise<void> {
    return this.senderDomains.check(accountId, address, field);
  }

  /**
   * Accepts drafts independently: each answer is an id and status, or the error (with its kind)
   * that refused that draft alone. With an idempotency key, a repeat within 24 hours returns the
   * first answer; `status` is what the edge answered, kept with it.
   */
  async accept(accountId: string, drafts: MessageDraft[], idempotency?: { key: string; status: number }): Promise<{ results: AcceptResult[]; replayed: boolean }> {
    const validated = await this.drafts.validate(accountId, drafts);
    // Broadcast and tracked mail is stored as its copies, one per recipient.
    const accepted = validated.flatMap((v) => ('message' in v ? (v.copies ?? [v.message]) : []));

    // A replay answers from the record and uses none of the hour's quota.
    const previous = idempotency ? await this.messages.previousAnswer(accountId, idempotency.key) : null;
    if (previous) return { results: storedResults(previous.response), replayed: true };
    // The hour's quota counts messages as sent, not the copies they are stored as.
    const giveBackQuota = await this.quota.take(accountId, validated.filter((v) => 'message' in v).length);
    await this.markSuppressed(accountId, accepted);
    const statusOf = (message: NewMessage): AcceptStatus =>
      message.recipients.every((r) => r.suppressed) ? 'suppressed' : message.sendAt && message.sendAt > new Date() ? 'scheduled' : 'queued';
    const results = validated.map((v): AcceptResult => {
      if (!('message' in v)) return { error: { kind: v.error.kind, code: v.error.code, message: v.error.message } };
      const copies = (v.copies ?? [v.message]).map((c) => ({ id: c.id, to: c.recipients[0]!.email, status: statusOf(c), message_id: c.messageIdHeader }));
      // Suppressed only when every copy is; otherwise as the first copy that goes out.
      const status = copies.find((c) => c.status !== 'suppressed')?.status ?? 'suppressed';
      const result = { id: v.message.id, status, message_id: v.message.messageIdHeader };
      return copies.length > 1 ? { ...result, messages: copies } : result;
    });

    const jobs = this.delivery.plan(accepted);
    let stored: Awaited<ReturnType<MessageRepository['accept']>>;
    try {
      stored = await this.messages.accept(accountId, accepted, idempotency ? { key: idempotency.key, answer: { status: idempotency.status, response: results } } : undefined);
    } catch (error) {
      await giveBackQuota();
      throw error;
    }
    if (!stored.stored) {
      // A concurrent request with the same key stored first: this one is a replay.
      await giveBackQuota();
      return { results: storedResults(stored.previous.response), replayed: true };
    }
    await this.delivery.enqueue(jobs);
    return { results, replayed: false };
  }

  /**
   * Suppressed recipients are stored as such and never attempted. Broadcast mail also skips
   * contacts that are not active (unsubscribed, bounced, complained); an `unsubscribe`
   * suppression holds broadcast mail only, so a reader who left a newsletter still gets their
   * receipts and password resets.
   */
  private async markSuppressed(accountId: string, messages: NewMessage[]): Promise<void> {
    for (const stream of ['transactional', 'broadcast'] as const) {
      const ofStream = messages.filter((m) => m.stream === stream);
      if (!ofStream.length) continue;
      const suppressed = await this.messages.suppressed(accountId, [...new Set(ofStream.flatMap((m) => m.recipients.map((r) => r.email.toLowerCase())))], stream);
      for (const message of ofStream) for (const r of message.recipients) r.suppressed = suppressed.has(r.email.toLowerCase());
    }
  }
}

/**
 * Results as an idempotency key stored them. Answers stored before results kept their error's
 * kind (at most 24 hours old when this version starts) get the kind their code had then.
 */
function storedResults(response: unknown): AcceptResult[] {
  return (response as AcceptResult[]).map((result) => {
    if (!('error' in result) || result.error.kind) return result;
    const kind: ErrorKind = result.error.code === 'message_too_large' ? 'too_large' : 'invalid';
    return { error: { ...result.error, kind } };
  });
}
