import { Global, Injectable, Module } from '@nestjs/common';
import { UnsubscribeRepository } from '@mailroom/db';
import { MessageCopies, type CopyOptions, type CopyRecipient } from '@mailroom/sending';
import { BroadcastDecorator } from './broadcast-decorator';
import { BroadcastModule } from './broadcast.module';

/**
 * Broadcast and tracked API mail (POST /v1/messages), one copy per recipient: the same headers
 * and links as campaign mail, through BroadcastDecorator. A recipient who is a contact of the
 * account is named in its unsubscribe link, so unsubscribing changes that contact.
 */
const UNSUBSCRIBE_PLACEHOLDER = /\{\{\{?\s*unsubscribe_url\s*\}?\}\}/g;

@Injectable()
export class BroadcastCopies extends MessageCopies {
  constructor(
    private readonly decorator: BroadcastDecorator,
    private readonly unsubscribe: UnsubscribeRepository,
  ) {
    super();
  }

  contactIds(accountId: string, emails: string[]): Promise<Map<string, string>> {
    return this.unsubscribe.contactIds(accountId, emails);
  }

  personalize(
    r: CopyRecipient,
    body: { html: string | undefined; text: string | undefined },
    options: CopyOptions,
  ): { headers: Array<{ key: string; value: string }>; html: string | undefined; text: string | undefined } {
    const recipient = { ...r, listId: null };
    // API mail is no template; only this one placeholder is filled, in broadcast mail.
    const link = options.listUnsubscribe ? this.decorator.unsubscribeUrl(recipient) : null;
    const fill = (s: string | undefined) => (s === undefined || link === null ? s : s.replace(UNSUBSCRIBE_PLACEHOLDER, link));
    const html = fill(body.html);
    return {
      headers: options.listUnsubscribe ? this.decorator.headers(recipient) : [],
      html: html === undefined ? undefined : this.decorator.trackHtml(html, recipient, options),
      text: fill(body.text),
    };
  }
}

/**
 * Makes BroadcastCopies the MessageCopies that @mailroom/sending's DraftValidator uses. Global,
 * because SendingModule cannot import this lib (it depends on SendingModule); import it once in
 * an app that accepts API mail.
 */
@Global()
@Module({
  imports: [BroadcastModule],
  providers: [{ provide: MessageCopies, useClass: BroadcastCopies }],
  exports: [MessageCopies],
})
export class BroadcastCopiesModule {}
