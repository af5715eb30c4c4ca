import { Injectable } from '@nestjs/common';
import { Batcher, DomainError } from '@mailroom/common';
import { UnsubscribeRepository, type ContactPreferences, type UnsubscribeRequest } from '@mailroom/db';
import { UnsubscribeTokens, type UnsubscribeTarget } from './unsubscribe-token';

export interface Requester {
  ip?: string | null;
  userAgent?: string | null;
}

export interface UnsubscribePage {
  target: UnsubscribeTarget;
  /** Null for an address that is no contact (API broadcast mail): the page offers "unsubscribe" only. */
  preferences: ContactPreferences | null;
}

/** A token that is not ours, altered or truncated: one answer for all, which says nothing more. */
const unknownToken = () => new DomainError('not_found', 'not_found', 'this link is not valid');

/**
 * Unsubscribing by link (RFC 8058 one-click POST, the confirm page, the preferences form) and by
 * mail (the List-Unsubscribe mailto address). Everything is scoped to the account the signed
 * token names; a GET never changes anything (link scanners prefetch).
 */
@Injectable()
export class UnsubscribeService {
  /**
   * Concurrent unsubscribes are written together (one statement per batch, one batch at a time,
   * so two batches never lock the same rows in opposite orders); each request still answers only
   * once its own is committed.
   */
  private readonly batcher = new Batcher<UnsubscribeRequest, void>(async (items) => {
    await this.repository.unsubscribe(items);
    return items.map(() => undefined);
  }, { maxSize: 500, maxInFlight: 1 });

  constructor(
    private readonly tokens: UnsubscribeTokens,
    private readonly repository: UnsubscribeRepository,
  ) {}

  /** Throws not_found for a token that is not valid; never says why. */
  target(token: string): UnsubscribeTarget {
    const target = this.tokens.decode(token);
    if (!target) throw unknownToken();
    return target;
  }

  unsubscribe(token: string, via: 'one_click' | 'page', requester: Requester): Promise<void> {
    const target = this.target(token);
    return this.batcher.submit({ ...target, via, ip: requester.ip, userAgent: requester.userAgent, requestedAt: new Date() });
  }

  /** Mail to `unsubscribe-<recipient>-<mac>@<return-path domain>`: the recipient names the rest. */
  async unsubscribeByMail(recipientId: string, requester: Requester): Promise<boolean> {
    const target = await this.repository.recipientTarget(recipientId);
    if (!target) return false;
    await this.batcher.submit({ ...target, recipientId, via: 'mailto', ip: requester.ip, userAgent: requester.userAgent, requestedAt: new Date() });
    return true;
  }

  /** The recipient a mailto local part names, if its signature holds. */
  mailtoRecipient(localPart: string): string | null {
    return this.tokens.parseMailtoLocalPart(localPart);
  }

  async page(token: string): Promise<UnsubscribePage> {
    const target = this.target(token);
    const preferences = target.contactId ? await this.repository.preferences(target.accountId, target.contactId) : null;
    return { target, preferences };
  }

  /**
   * The preferences form: stay on the lists in `keep`, leave the others. A token without a
   * contact has no preferences; keeping nothing is unsubscribing from everything.
   */
  async savePreferences(token: string, keep: string[], requester: Requester): Promise<{ left: number; kept: number }> {
    const target = this.target(token);
    if (!target.contactId) {
      await this.batcher.submit({ ...target, listId: null, via: 'preferences', ip: requester.ip, userAgent: requester.userAgent, requestedAt: new Date() });
      return { left: 1, kept: 0 };
    }
    const result = await this.repository.setPreferences(target.accountId, target.contactId, keep);
    if (!result) return { left: 0, kept: 0 };
    if (result.left > 0 && target.recipientId) {
      await this.repository.recordUnsubscribed(target.accountId, target.recipientId, 'preferences', { ip: requester.ip ?? null, ua: requester.userAgent?.slice(0, 500) ?? null, requested_at: new Date().toISOString() });
    }
    return result;
  }
}
