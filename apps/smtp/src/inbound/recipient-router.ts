import { Injectable } from '@nestjs/common';
import { Secrets } from '@mailroom/crypto';
import { InboundRepository } from '@mailroom/db';
import { UnsubscribeService, UnsubscribeTokens } from '@mailroom/newsletter';
import { ReturnPath, tokenCovers } from '@mailroom/verp';
import { parseRecipientAddress } from '../common/address-policy';
import type { Route } from './routes';
import { Replies, SmtpReply } from '../common/smtp-reply';

/**
 * Decides at RCPT whether Mailroom hosts an address: a VERP address on a return-path domain
 * whose token is signed by us and names a message sent from that domain, a List-Unsubscribe
 * mailto address on a return-path domain whose token is signed by us, a mailbox, or an
 * unknown local part of a domain with a catch-all. Anything else is refused, so the MX never
 * accepts mail it would have to pass on.
 */
@Injectable()
export class RecipientRouter {
  private readonly returnPath: ReturnPath;

  constructor(
    private readonly inbound: InboundRepository,
    private readonly unsubscribe: UnsubscribeService,
    secrets: Secrets,
  ) {
    this.returnPath = new ReturnPath(secrets);
  }

  async route(rawAddress: string): Promise<Route | SmtpReply> {
    const address = parseRecipientAddress(rawAddress);
    if (address instanceof SmtpReply) return address;
    const hosted = await this.inbound.hostedDomain(address.domain, address.normalized);
    if (!hosted) return Replies.relayDenied();
    if (hosted.isReturnPath) {
      if (UnsubscribeTokens.looksLikeMailto(address.local)) {
        const recipientId = this.unsubscribe.mailtoRecipient(address.local);
        return recipientId ? { kind: 'unsubscribe', address: address.normalized, recipientId } : Replies.noSuchUser();
      }
      // A forged, tampered or foreign token fails the signature here and is simply unknown.
      const token = this.returnPath.parse(address.local);
      if (!token) return Replies.noSuchUser();
      const target = await this.inbound.reportTarget(token, tokenCovers(token));
      if (!target || target.returnPathDomain !== address.domain) return Replies.noSuchUser();
      return { kind: 'return-path', address: address.normalized, token, target };
    }
    if (hosted.mailboxId) return { kind: 'mailbox', address: address.normalized, mailboxId: hosted.mailboxId, catchAll: false };
    if (hosted.catchAllMailboxId) return { kind: 'mailbox', address: address.normalized, mailboxId: hosted.catchAllMailboxId, catchAll: true };
    return Replies.noSuchUser();
  }
}
