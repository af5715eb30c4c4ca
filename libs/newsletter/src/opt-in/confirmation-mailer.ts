import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { TemplateRenderer } from '@mailroom/compose';
import type { ListRow } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { LIMITS, SendingService, type MessageDraft } from '@mailroom/sending';
import { OptInTokens } from './opt-in-tokens';

export const DEFAULT_CONFIRM_SUBJECT = 'Please confirm your subscription to {{list.name}}';
export const DEFAULT_CONFIRM_HTML =
  '<p>Please confirm that you want to receive <strong>{{list.name}}</strong>.</p>\n<p><a href="{{confirm_url}}">Yes, subscribe me</a></p>\n<p>If you did not ask for this, ignore this message: you will not be subscribed.</p>';
export const DEFAULT_CONFIRM_TEXT = 'Please confirm that you want to receive {{list.name}}:\n\n{{confirm_url}}\n\nIf you did not ask for this, ignore this message: you will not be subscribed.';

export type ConfirmationOutcome = 'sent' | 'suppressed' | 'not_sent';

export interface Confirmable {
  id: string;
  email: string;
  attributes?: Record<string, unknown>;
}

/**
 * The double opt-in mail: the list's own subject and text (Handlebars; `{{confirm_url}}`,
 * `{{list.name}}`, `{{contact.email}}`, `{{contact.attributes.name}}`), or defaults, sent
 * through the normal sending path as transactional mail from the list's `confirm_from`, which
 * must be on a verified domain of the account.
 */
@Injectable()
export class ConfirmationMailer {
  private readonly renderer = new TemplateRenderer(1000);
  private readonly publicUrl: string;

  constructor(
    private readonly sending: SendingService,
    private readonly tokens: OptInTokens,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.publicUrl = config.PUBLIC_URL.replace(/\/+$/, '');
  }

  confirmUrl(listId: string, contactId: string): string {
    return `${this.publicUrl}/confirm/${this.tokens.issue(listId, contactId)}`;
  }

  /** Sends one confirmation per contact; says per contact id whether it went out. */
  async send(list: ListRow, contacts: Confirmable[]): Promise<Map<string, ConfirmationOutcome>> {
    const outcomes = new Map<string, ConfirmationOutcome>();
    if (!contacts.length) return outcomes;
    if (!list.confirm_from) {
      for (const c of contacts) outcomes.set(c.id, 'not_sent');
      return outcomes;
    }
    // Cached per list version: a list edited gets its new text at once.
    const template = {
      id: `opt-in:${list.id}`,
      version: list.updated_at.getTime(),
      subject: list.confirm_subject || DEFAULT_CONFIRM_SUBJECT,
      html: list.confirm_html || (list.confirm_text ? null : DEFAULT_CONFIRM_HTML),
      text: list.confirm_text || (list.confirm_html ? null : DEFAULT_CONFIRM_TEXT),
    };
    for (let i = 0; i < contacts.length; i += LIMITS.messagesPerBatch) {
      const slice = contacts.slice(i, i + LIMITS.messagesPerBatch);
      const drafts: MessageDraft[] = slice.map((contact) => {
        const content = this.renderer.render(template, {
          confirm_url: this.confirmUrl(list.id, contact.id),
          list: { id: list.id, name: list.name, description: list.description },
          contact: { email: contact.email, attributes: contact.attributes ?? {} },
        });
        return {
          from: list.confirm_from!,
          to: contact.email,
          subject: content.subject,
          ...(content.html ? { html: content.html } : {}),
          ...(content.text ? { text: content.text } : {}),
          stream: 'transactional',
          tags: ['double-opt-in'],
          metadata: { list_id: list.id, contact_id: contact.id },
        };
      });
      try {
        const { results } = await this.sending.accept(list.account_id, drafts);
        results.forEach((result, k) => {
          const contact = slice[k]!;
          if ('error' in result) {
            this.logger.warn({ listId: list.id, code: result.error.code, err: result.error.message }, 'confirmation mail refused');
            outcomes.set(contact.id, 'not_sent');
          } else outcomes.set(contact.id, result.status === 'suppressed' ? 'suppressed' : 'sent');
        });
      } catch (error) {
        // The account's hourly cap, or the database: the memberships stay unconfirmed and a
        // later subscribe sends again.
        this.logger.warn({ listId: list.id, err: error }, 'confirmation mails not sent');
        for (const c of slice) outcomes.set(c.id, 'not_sent');
      }
    }
    return outcomes;
  }
}
