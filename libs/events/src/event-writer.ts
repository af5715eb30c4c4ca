import { Injectable } from '@nestjs/common';
import { EventRepository, type DisabledWebhook, type Tx } from '@mailroom/db';
import { MAX_PAYLOAD_BYTES, type InboundReceivedData, type WebhookDisabledData } from './event-types';

/**
 * Writes the events that no table change carries, in the caller's transaction (`tx`), so the
 * event commits or rolls back with what it reports. Events that a change of a row does carry
 * (delivery outcomes, bounces, opens, subscriptions, campaigns, domains) are written by the
 * database's triggers, whatever code makes the change.
 */
@Injectable()
export class EventWriter {
  /** inbound.received events asked for in a transaction and not yet written, by transaction. */
  private readonly received = new Map<Tx, { events: Array<{ mailboxId: string; type: string; data: Record<string, unknown> }>; written: Promise<number> }>();

  constructor(private readonly events: EventRepository) {}

  /**
   * inbound.received: mail filed into a mailbox's folder, with what is needed to fetch it. The
   * events asked for in one transaction in the same tick (a group of filed messages, whose
   * hooks run together) are written by one statement, once that tick's calls are in.
   */
  inboundReceived(tx: Tx, mailboxId: string, data: InboundReceivedData): Promise<void> {
    let batch = this.received.get(tx);
    if (!batch) {
      const events: Array<{ mailboxId: string; type: string; data: Record<string, unknown> }> = [];
      const written = Promise.resolve().then(() => {
        this.received.delete(tx);
        return this.events.emitForMailboxes(tx, events);
      });
      this.received.set(tx, (batch = { events, written }));
    }
    batch.events.push({ mailboxId, type: 'inbound.received', data: fitPayload({ ...data }) });
    return batch.written.then(() => undefined);
  }

  /** webhook.disabled for each endpoint disabled: always kept, so the account sees it in the API. */
  async webhooksDisabled(tx: Tx, disabled: DisabledWebhook[]): Promise<void> {
    await this.events.emit(
      tx,
      disabled.map((d) => {
        const data: WebhookDisabledData = { webhook_id: d.id, url: d.url, reason: d.reason, failing_since: d.failingSince?.toISOString() ?? null };
        return { accountId: d.accountId, type: 'webhook.disabled', data: { ...data } };
      }),
      { always: true },
    );
  }
}

/**
 * Keeps `data` within the payload limit: the longest strings are cut (to 1,000 characters,
 * then 100) until it fits. Fields written here are short; this bounds what came from outside.
 */
export function fitPayload(data: Record<string, unknown>): Record<string, unknown> {
  const budget = MAX_PAYLOAD_BYTES - 512; // the envelope: type, timestamp, braces
  const size = () => Buffer.byteLength(JSON.stringify(data));
  for (const max of [1000, 100]) {
    if (size() <= budget) return data;
    const keys = Object.keys(data).filter((k) => typeof data[k] === 'string' && (data[k] as string).length > max);
    keys.sort((a, b) => (data[b] as string).length - (data[a] as string).length);
    for (const key of keys) {
      data[key] = `${(data[key] as string).slice(0, max)}…`;
      if (size() <= budget) return data;
    }
  }
  return data;
}
