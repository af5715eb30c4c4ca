import { Inject, Injectable } from '@nestjs/common';
import { DomainError, newOrderedId } from '@mailroom/common';
import {
  checkSubmittedHeaderBlock,
  completeSubmittedMessage,
  parseAddress,
  parseAddresses,
  readHeaders,
  removeBccFields,
  visibleRecipients,
  submittedSenders,
} from '@mailroom/compose';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { currentRequestId } from '@mailroom/logger';
import { decodeWords, headerValues, toCrlf } from '@mailroom/mime';
import type { NewMessage } from '@mailroom/db';
import { LIMITS } from './message-draft';
import { SenderDomains } from './sender-domains';

/** What a relay client sent in one SMTP transaction. */
export interface RelaySubmission {
  envelopeFrom: string;
  recipients: string[];
  raw: Buffer;
}

/**
 * A message submitted over SMTP, read into the message to store: kept as the client sent it,
 * only a missing Date or Message-ID is added. The envelope decides who receives it (BCC
 * recipients appear in no header); the envelope sender and every address naming a sender must be
 * on a verified domain of the account.
 */
@Injectable()
export class RelaySubmissionReader {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly senderDomains: SenderDomains,
  ) {}

  /** The message to store (its recipients not yet checked against suppressions), or the DomainError that refuses it. */
  async read(accountId: string, input: RelaySubmission): Promise<NewMessage> {
    if (!input.envelopeFrom) throw new DomainError('invalid', 'null_sender', 'MAIL FROM:<> is for bounces; give a sender address on one of your domains');
    const envelopeFrom = parseAddress(input.envelopeFrom, 'MAIL FROM');
    await this.senderDomains.of(accountId, envelopeFrom, 'MAIL FROM');
    // Lines end in CRLF from here on: a bare CR or LF would let the header we check and the header
    // a receiver reads differ (a From: hidden behind a bare CR), so they become CRLF first.
    const normalized = toCrlf(input.raw, { bareCr: true });
    // Headers are read the strictest way and refused where receivers could read them otherwise
    // (controls, stray lines, ambiguous addresses): what we check must be what they see.
    checkSubmittedHeaderBlock(normalized);
    const headers = readHeaders(normalized);
    const { authors, owned } = submittedSenders(headers);
    // Every header naming a sender names the account's own domains.
    for (const { field, address } of owned) await this.senderDomains.of(accountId, address, field);
    // The message is signed for (and bounces return to) the author's domain: DMARC aligns with From:.
    const signingDomain = await this.senderDomains.of(accountId, authors[0]!, 'From:');
    const recipients = parseAddresses(input.recipients, 'RCPT TO');
    if (!recipients.length) throw new DomainError('invalid', 'no_recipients', 'at least one RCPT TO is required');
    if (recipients.length > LIMITS.recipientsPerMessage) throw new DomainError('invalid', 'too_many_recipients', `at most ${LIMITS.recipientsPerMessage} recipients per message`);
    if (input.raw.length > this.config.MAX_MESSAGE_SIZE) {
      throw new DomainError('too_large', 'message_too_large', `the message is ${input.raw.length} bytes; the limit is ${this.config.MAX_MESSAGE_SIZE}`);
    }
    const visible = visibleRecipients(headers);
    // Bcc: is for the sender's copy; recipients get the message through the envelope.
    const { raw, messageId } = completeSubmittedMessage(removeBccFields(normalized), headers, this.config.MAIL_HOSTNAME);
    const seen = new Set<string>();
    return {
      id: newOrderedId(),
      domainId: signingDomain.id,
      campaignId: null,
      templateId: null,
      stream: 'transactional',
      source: 'smtp',
      fromAddress: authors[0]!.address,
      subject: decodeWords(headerValues(headers.fields, 'subject')[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 998),
      messageIdHeader: messageId,
      tags: [],
      metadata: {},
      trackOpens: false,
      trackClicks: false,
      raw,
      sendAt: null,
      // The relay session's id: the worker logs this message's deliveries under it.
      requestId: currentRequestId() ?? null,
      recipients: recipients
        .filter((a) => !seen.has(a.address.toLowerCase()) && seen.add(a.address.toLowerCase()))
        .map((a) => ({ id: newOrderedId(), email: a.address, domain: a.domain, kind: visible.has(a.address.toLowerCase()) ? ('to' as const) : ('bcc' as const), suppressed: false })),
    };
  }
}
