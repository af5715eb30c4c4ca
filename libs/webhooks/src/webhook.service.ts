import { Inject, Injectable } from '@nestjs/common';
import { DomainError, newId, notFound } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { Secrets } from '@mailroom/crypto';
import { EventRepository, WebhookRepository, type Webhook } from '@mailroom/db';
import { DnsClient } from '@mailroom/dns';
import { EVENT_TYPES, TEST_EVENT_TYPE } from '@mailroom/events';
import { AddressGuard } from './address-guard';
import { generateSecret, secretKey } from './webhook-secret';

export interface WebhookInput {
  url: string;
  events: string[];
  description?: string;
  enabled?: boolean;
  /** The account's own `whsec_` secret; one is generated when absent. */
  secret?: string;
}

/** Endpoints per account: every event is written once per subscribed endpoint. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 50;

/** How long a rotated-out secret keeps signing by default: a day, for receivers to switch over. */
const DEFAULT_ROTATION_SECONDS = 24 * 3600;

/** Webhook endpoints as the API manages them: URL checks (SSRF), secrets sealed at rest, rotation, tests, replays. */
@Injectable()
export class WebhookService {
  private readonly guard: AddressGuard;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly webhooks: WebhookRepository,
    private readonly events: EventRepository,
    private readonly secrets: Secrets,
  ) {
    this.guard = new AddressGuard(new DnsClient({ servers: config.DNS_SERVERS }), config.WEBHOOK_ALLOW_PRIVATE);
  }

  async create(accountId: string, input: WebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    if ((await this.webhooks.list(accountId)).length >= MAX_WEBHOOKS_PER_ACCOUNT) {
      throw new DomainError('invalid', 'too_many_webhooks', `an account has at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhook endpoints; one endpoint can take several event types`);
    }
    await this.guard.checkUrl(input.url);
    const secret = input.secret ?? generateSecret();
    checkSecret(secret);
    const webhook = await this.webhooks.create(accountId, {
      id: newId(),
      url: input.url,
      events: eventFilter(input.events),
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      secretEncrypted: this.box.seal(secret),
    });
    return { webhook, secret };
  }

  list(accountId: string): Promise<Webhook[]> {
    return this.webhooks.list(accountId);
  }

  async get(accountId: string, id: string): Promise<Webhook> {
    const webhook = await this.webhooks.find(accountId, id);
    if (!webhook) throw notFound('webhook');
    return webhook;
  }

  async update(accountId: string, id: string, changes: Partial<Omit<WebhookInput, 'secret'>>): Promise<Webhook> {
    if (changes.url !== undefined) await this.guard.checkUrl(changes.url);
    const webhook = await this.webhooks.update(accountId, id, { ...changes, events: changes.events && eventFilter(changes.events) });
    if (!webhook) throw notFound('webhook');
    return webhook;
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!(await this.webhooks.delete(accountId, id))) throw notFound('webhook');
  }

  /** The current secret (and the previous one while it still signs). */
  async secret(accountId: string, id: string): Promise<{ secret: string; previous_secret: string | null; previous_secret_expires_at: Date | null }> {
    const webhook = await this.get(accountId, id);
    const rotating = webhook.previousSecretEncrypted && webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt > new Date();
    return {
      secret: this.box.open(webhook.secretEncrypted),
      previous_secret: rotating ? this.box.open(webhook.previousSecretEncrypted!) : null,
      previous_secret_expires_at: rotating ? webhook.previousSecretExpiresAt : null,
    };
  }

  /**
   * A new secret signs every attempt from now on; the old one keeps signing beside it (two v1
   * signatures in webhook-signature) for `oldSecretExpiresIn` seconds, so receivers can switch.
   */
  async rotate(accountId: string, id: string, options: { secret?: string; oldSecretExpiresIn?: number }): Promise<{ secret: string; previous_secret_expires_at: Date }> {
    const secret = options.secret ?? generateSecret();
    checkSecret(secret);
    const expires = new Date(Date.now() + (options.oldSecretExpiresIn ?? DEFAULT_ROTATION_SECONDS) * 1000);
    if (!(await this.webhooks.rotate(accountId, id, this.box.seal(secret), expires))) throw notFound('webhook');
    return { secret, previous_secret_expires_at: expires };
  }

  /** A `webhook.test` event for this endpoint alone; its delivery shows in the log like any other. */
  async test(accountId: string, id: string): Promise<{ event_id: string; delivery_id: string }> {
    const sent = await this.events.emitTest(accountId, id, TEST_EVENT_TYPE, { webhook_id: id, message: 'A test event from Mailroom: your endpoint receives and verifies webhooks.' });
    if (!sent) throw notFound('webhook');
    return { event_id: sent.eventId, delivery_id: sent.deliveryId };
  }

  async deliveries(accountId: string, id: string, filter: { status?: string; limit: number; cursor?: string }) {
    await this.get(accountId, id);
    return this.webhooks.deliveries(accountId, id, filter);
  }

  async delivery(accountId: string, id: string, deliveryId: string) {
    const delivery = await this.webhooks.delivery(accountId, id, deliveryId);
    if (!delivery) throw notFound('webhook delivery');
    return delivery;
  }

  async replay(accountId: string, id: string, deliveryId: string): Promise<void> {
    const result = await this.webhooks.replay(accountId, id, deliveryId);
    if (!result) throw notFound('webhook delivery');
    if (result === 'pending') throw new DomainError('conflict', 'delivery_pending', 'this delivery is still being tried; replay it once it has succeeded or failed');
  }

  async replayFailed(accountId: string, id: string, since: Date, until?: Date): Promise<number> {
    await this.get(accountId, id);
    return this.webhooks.replayFailed(accountId, id, since, until);
  }

  private get box() {
    return this.secrets.box('webhook-secrets');
  }
}

/** Known event types or "*", each once. */
function eventFilter(events: string[]): string[] {
  const unknown = events.filter((e) => e !== '*' && !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length) throw new DomainError('invalid', 'unknown_event_type', `events: unknown event type ${unknown[0]}; known: ${EVENT_TYPES.join(', ')} or *`);
  if (!events.length) throw new DomainError('invalid', 'invalid_request', 'events: name at least one event type, or "*"');
  return [...new Set(events)];
}

function checkSecret(secret: string): void {
  if (!secretKey(secret)) throw new DomainError('invalid', 'invalid_secret', 'secret: must be whsec_ followed by the base64 of 24 to 64 bytes');
}
