import { Inject, Injectable } from '@nestjs/common';
import { WebhookRepository, type DisabledWebhook } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { SystemMailer } from '@mailroom/users';

/**
 * Tells an account that one of its endpoints was disabled: a mail to the account's address
 * (accounts.email), or else to its owners, sent like any mail from SYSTEM_MAIL_FROM. The
 * webhook.disabled event in the API is written with the change itself; this mail is best
 * effort (without SYSTEM_MAIL_FROM, or without an address, only the event tells).
 */
@Injectable()
export class AccountNotifier {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly webhooks: WebhookRepository,
    private readonly mailer: SystemMailer,
  ) {}

  async webhookDisabled(disabled: DisabledWebhook): Promise<void> {
    try {
      const addresses = await this.webhooks.noticeAddresses(disabled.accountId);
      if (!addresses.length) {
        this.logger.info({ webhook: disabled.id, account: disabled.accountId }, 'webhook endpoint disabled; the account has no address to tell');
        return;
      }
      const since = disabled.failingSince ? ` Its deliveries had failed since ${disabled.failingSince.toISOString()}.` : '';
      const text = [
        `Mailroom disabled your webhook endpoint ${disabled.url} (${disabled.id}): ${disabled.reason}.${since}`,
        '',
        'Events are no longer sent to it, and deliveries that were waiting have been marked failed.',
        'Once it answers again, enable it (PATCH /v1/webhooks/:id {"enabled": true}) and replay what it missed',
        '(POST /v1/webhooks/:id/replay {"since": "<time>"}).',
      ].join('\n');
      const html = `<p>Mailroom disabled your webhook endpoint <code>${escape(disabled.url)}</code> (${disabled.id}): ${escape(disabled.reason)}.${escape(since)}</p>
<p>Events are no longer sent to it, and deliveries that were waiting have been marked failed. Once it answers again, enable it
(<code>PATCH /v1/webhooks/:id {"enabled": true}</code>) and replay what it missed (<code>POST /v1/webhooks/:id/replay</code>).</p>`;
      for (const to of addresses) await this.mailer.send({ to, subject: `Webhook endpoint disabled: ${disabled.url.slice(0, 120)}`, text, html });
    } catch (error) {
      this.logger.warn({ err: error, webhook: disabled.id }, 'could not mail the account about its disabled webhook endpoint; the webhook.disabled event tells it');
    }
  }
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
