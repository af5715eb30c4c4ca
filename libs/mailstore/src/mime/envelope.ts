import { headerValue, parseAddressList, type EnvelopeAddress, type HeaderField } from '@mailroom/mime';

/**
 * IMAP's ENVELOPE (RFC 3501 7.4.2) of a message or of an attached message/rfc822 part. Values
 * are the raw header values, unfolded; Sender and Reply-To default to From when absent.
 */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

const text = (fields: readonly HeaderField[], key: string): string | null => {
  const value = headerValue(fields, key);
  return value === undefined || value === '' ? null : value;
};

export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const from = parseAddressList(headerValue(fields, 'from'));
  return {
    date: text(fields, 'date'),
    subject: text(fields, 'subject'),
    from,
    sender: parseAddressList(headerValue(fields, 'sender')) ?? from,
    replyTo: parseAddressList(headerValue(fields, 'reply-to')) ?? from,
    to: parseAddressList(headerValue(fields, 'to')),
    cc: parseAddressList(headerValue(fields, 'cc')),
    bcc: parseAddressList(headerValue(fields, 'bcc')),
    inReplyTo: text(fields, 'in-reply-to'),
    messageId: text(fields, 'message-id'),
  };
}
