import { randomUUID } from 'node:crypto';
import type Mail from 'nodemailer/lib/mailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailAddress } from './address';

export interface Attachment {
  filename: string;
  content: Buffer;
  contentType?: string;
}

export interface Composition {
  from: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  replyTo?: MailAddress;
  subject: string;
  text?: string;
  html?: string;
  attachments: Attachment[];
  headers: Array<{ key: string; value: string }>;
  /** Without angle brackets. */
  messageId: string;
  date?: Date;
}

const formatted = (a: MailAddress) => (a.name ? { name: a.name, address: a.address } : a.address);

/**
 * MIME with nodemailer's composer: encoded words, folding, multipart/alternative and
 * multipart/mixed, base64 or quoted-printable chosen per part. Bcc never appears in the headers.
 */
export function composeMessage(c: Composition): Promise<Buffer> {
  const options: Mail.Options & { baseBoundary: string } = {
    from: formatted(c.from),
    to: c.to.map(formatted),
    cc: c.cc.length ? c.cc.map(formatted) : undefined,
    replyTo: c.replyTo ? formatted(c.replyTo) : undefined,
    subject: c.subject,
    text: c.text,
    html: c.html,
    attachments: c.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
    headers: c.headers,
    messageId: `<${c.messageId}>`,
    date: c.date ?? new Date(),
    disableFileAccess: true,
    disableUrlAccess: true,
    // Random like nodemailer's own, from Node's buffered UUID entropy: nodemailer would draw
    // fresh random bytes for every MIME part, a system call each.
    baseBoundary: randomUUID().replaceAll('-', ''),
  };
  const composer = new MailComposer(options);
  return new Promise((resolve, reject) => composer.compile().build((error, message) => (error ? reject(error) : resolve(message))));
}
