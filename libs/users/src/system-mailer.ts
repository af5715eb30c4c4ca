import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DomainRepository } from '@mailroom/db';
import { SendingService } from '@mailroom/sending';

export interface SystemMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

const mailNotConfigured = (why: string) =>
  new DomainError('unavailable', 'mail_not_configured', `this installation cannot send its own mail: ${why}`);

/**
 * Mail Mailroom sends to people about their dashboard login (invitations, password resets),
 * through the normal sending path: from SYSTEM_MAIL_FROM, as a message of the account that owns
 * that address's domain, so it is signed, delivered, retried and logged like any other message.
 */
@Injectable()
export class SystemMailer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly domains: DomainRepository,
    private readonly sending: SendingService,
  ) {}

  /** Throws `mail_not_configured` (503) when SYSTEM_MAIL_FROM is unset or cannot send. */
  async ensureConfigured(): Promise<{ accountId: string; from: string }> {
    const from = this.config.SYSTEM_MAIL_FROM;
    if (!from) throw mailNotConfigured('set SYSTEM_MAIL_FROM to an address on a verified domain');
    const domain = /@([^@>\s]+)>?\s*$/.exec(from)?.[1]?.toLowerCase();
    const owned = domain ? (await this.domains.findAllByName(domain)).find((d) => d.ownedAt !== null) : undefined;
    if (!owned) throw mailNotConfigured(`SYSTEM_MAIL_FROM is on ${domain ?? 'no domain'}, which no account owns`);
    return { accountId: owned.accountId, from };
  }

  /** Accepts the message for delivery; answers its id. */
  async send(mail: SystemMail): Promise<string> {
    const { accountId, from } = await this.ensureConfigured();
    const { results } = await this.sending.accept(accountId, [{ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, tags: ['mailroom-system'] }]);
    const [result] = results;
    if ('error' in result) throw mailNotConfigured(result.error.message);
    return result.id;
  }
}
