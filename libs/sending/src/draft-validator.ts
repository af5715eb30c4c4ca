import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { DomainError, newOrderedId } from '@mailroom/common';
import { addressesAnywhereIn, addressesShownIn, assertSingleLine, composeMessage, parseAddress, parseAddresses, TemplateRenderer, validateHeaders, type Attachment, type Composition, type MailAddress } from '@mailroom/compose';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { currentRequestId } from '@mailroom/logger';
import { TemplateRepository, type NewMessage, type Template } from '@mailroom/db';
import { MessageCopies } from './message-copies';
import { LIMITS, type MessageDraft } from './message-draft';
import { SenderDomains } from './sender-domains';

/**
 * A draft made into the message(s) to store, or the DomainError that refused that draft alone.
 * Broadcast and tracked mail is one message per recipient (`copies`): its unsubscribe and
 * tracking links are signed for that recipient.
 */
export type ValidatedDraft = { message: NewMessage; copies?: NewMessage[] } | { error: DomainError };

/** Headers of broadcast mail that Mailroom writes per recipient (a request's List-Id is taken as the list's). */
const LIST_HEADERS = new Set(['list-unsubscribe', 'list-unsubscribe-post']);

/**
 * Drafts from the REST API made into messages: every field checked, templates rendered, MIME
 * composed. Recipients are not yet checked against suppressions, and nothing is stored.
 */
@Injectable()
export class DraftValidator {
  private readonly templates = new TemplateRenderer();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly senderDomains: SenderDomains,
    private readonly templateRepository: TemplateRepository,
    @Optional() private readonly copies?: MessageCopies,
  ) {}

  /** Each draft on its own, in order; errors other than DomainError (the database failed) are thrown. */
  async validate(accountId: string, drafts: MessageDraft[]): Promise<ValidatedDraft[]> {
    const templates = await this.loadTemplates(accountId, drafts);
    const validated: ValidatedDraft[] = [];
    for (const draft of drafts) {
      try {
        validated.push({ message: await this.prepare(accountId, draft, templates) });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        validated.push({ error });
      }
    }
    return this.withCopies(accountId, validated);
  }

  /** Messages composed per recipient get their copies; one look-up of contacts for the lot. */
  private async withCopies(accountId: string, validated: ValidatedDraft[]): Promise<ValidatedDraft[]> {
    const split = validated.flatMap((v) => ('message' in v && perRecipient(v.message) ? [v.message] : []));
    if (!split.length) return validated;
    const contacts = this.copies ? await this.copies.contactIds(accountId, [...new Set(split.flatMap((m) => m.recipients.map((r) => r.email.toLowerCase())))]) : new Map<string, string>();
    const result: ValidatedDraft[] = [];
    for (const v of validated) {
      if (!('message' in v) || !perRecipient(v.message)) {
        result.push(v);
        continue;
      }
      try {
        result.push({ message: v.message, copies: await this.copiesOf(accountId, v.message, contacts) });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        result.push({ error });
      }
    }
    return result;
  }

  /**
   * `from` read the strict way (`parseAddress`). One that readers would disagree on is refused, and
   * when some reading of it names a domain that is not the account's, that is the refusal given.
   */
  private async sender(accountId: string, input: string): Promise<MailAddress> {
    try {
      return parseAddress(input, 'from');
    } catch (error) {
      for (const shown of addressesAnywhereIn(input, 'from')) await this.senderDomains.of(accountId, shown, 'from');
      throw error;
    }
  }

  private async prepare(accountId: string, draft: MessageDraft, templates: Map<string, Template>): Promise<NewMessage> {
    const from = await this.sender(accountId, draft.from);
    const domain = await this.senderDomains.of(accountId, from, 'from');
    // As on the relay: an address the display name shows must be the account's too.
    for (const shown of addressesShownIn(from.name ?? '', 'from')) await this.senderDomains.of(accountId, shown, 'from (shown in the display name)');
    const to = parseAddresses(draft.to, 'to');
    const cc = parseAddresses(draft.cc, 'cc');
    const bcc = parseAddresses(draft.bcc, 'bcc');
    const all = [...to, ...cc, ...bcc];
    if (!to.length && !cc.length && !bcc.length) throw new DomainError('invalid', 'no_recipients', 'to: at least one recipient is required');
    if (all.length > LIMITS.recipientsPerMessage) {
      throw new DomainError('invalid', 'too_many_recipients', `at most ${LIMITS.recipientsPerMessage} recipients per message (to, cc and bcc together)`);
    }
    const replyTo = draft.reply_to ? parseAddress(draft.reply_to, 'reply_to') : undefined;
    const headers = validateHeaders(draft.headers);
    const content = this.content(draft, templates);
    assertSingleLine('subject', content.subject);
    const attachments = decodeAttachments(draft.attachments);
    const sendAt = parseSendAt(draft.send_at);
    const stream = draft.stream ?? 'transactional';

    const id = newOrderedId();
    const messageIdHeader = `${randomUUID()}@${this.config.MAIL_HOSTNAME}`;
    const trackOpens = draft.track_opens ?? stream === 'broadcast';
    const trackClicks = draft.track_clicks ?? stream === 'broadcast';
    if (stream === 'broadcast' || trackOpens || trackClicks) {
      const own = headers.find((h) => LIST_HEADERS.has(h.key.toLowerCase()));
      if (own && stream === 'broadcast') throw new DomainError('invalid', 'reserved_header', `headers: ${own.key} is set by Mailroom for each recipient of broadcast mail`);
    }
    const composition = { from, to, cc, replyTo, subject: content.subject, text: content.text, html: content.html, attachments, headers, messageId: messageIdHeader };
    // Mail composed per recipient is composed (and its size checked) copy by copy.
    const raw = stream === 'broadcast' || trackOpens || trackClicks ? Buffer.alloc(0) : await composeMessage(composition);
    if (raw.length > this.config.MAX_MESSAGE_SIZE) {
      throw new DomainError('too_large', 'message_too_large', `the message is ${raw.length} bytes; the limit is ${this.config.MAX_MESSAGE_SIZE}`);
    }
    const seen = new Set<string>();
    const message: NewMessage = {
      id,
      domainId: domain.id,
      campaignId: null,
      templateId: draft.template_id ?? null,
      stream,
      source: 'api',
      fromAddress: from.address,
      subject: content.subject,
      messageIdHeader,
      tags: checkTags(draft.tags),
      metadata: checkMetadata(draft.metadata),
      trackOpens,
      trackClicks,
      raw,
      sendAt,
      // The API call's x-request-id: the worker logs this message's deliveries under it.
      requestId: currentRequestId() ?? null,
      recipients: [...to.map((a) => ({ a, kind: 'to' as const })), ...cc.map((a) => ({ a, kind: 'cc' as const })), ...bcc.map((a) => ({ a, kind: 'bcc' as const }))]
        // The same address twice in one message gets one copy.
        .filter(({ a }) => !seen.has(a.address.toLowerCase()) && seen.add(a.address.toLowerCase()))
        .map(({ a, kind }) => ({ id: newOrderedId(), email: a.address, domain: a.domain, kind, suppressed: false })),
    };
    this.compositions.set(message, { composition, returnPathDomain: domain.returnPathDomain ?? null });
    return message;
  }

  /** What each message was composed from, while its draft is being made into copies. */
  private readonly compositions = new WeakMap<NewMessage, { composition: Composition; returnPathDomain: string | null }>();

  /**
   * One message per recipient, each with the headers and links signed for it; the headers shown
   * (To, Cc) are the draft's, the envelope recipient is the copy's own. The first copy keeps the
   * draft's id, so the API's answer names it.
   */
  private async copiesOf(accountId: string, message: NewMessage, contacts: Map<string, string>): Promise<NewMessage[]> {
    if (!this.copies) throw new DomainError('unavailable', 'broadcast_unavailable', 'broadcast and tracked mail cannot be composed by this process');
    const { composition, returnPathDomain } = this.compositions.get(message)!;
    const listIdHeader = composition.headers.find((h) => h.key.toLowerCase() === 'list-id')?.value ?? null;
    const ownHeaders = message.stream === 'broadcast' ? composition.headers.filter((h) => h.key.toLowerCase() !== 'list-id') : composition.headers;
    const options = { listUnsubscribe: message.stream === 'broadcast', trackOpens: message.trackOpens, trackClicks: message.trackClicks };
    const copies: NewMessage[] = [];
    for (const [index, recipient] of message.recipients.entries()) {
      const id = index === 0 ? message.id : newOrderedId();
      const contactId = contacts.get(recipient.email.toLowerCase()) ?? null;
      const personal = this.copies.personalize(
        { accountId, messageId: id, recipientId: recipient.id, contactId, email: recipient.email, returnPathDomain, listIdHeader },
        { html: composition.html, text: composition.text },
        options,
      );
      const messageIdHeader = index === 0 ? message.messageIdHeader : `${randomUUID()}@${this.config.MAIL_HOSTNAME}`;
      const raw = await composeMessage({ ...composition, html: personal.html, text: personal.text, headers: [...ownHeaders, ...personal.headers], messageId: messageIdHeader });
      if (raw.length > this.config.MAX_MESSAGE_SIZE) {
        throw new DomainError('too_large', 'message_too_large', `the message is ${raw.length} bytes; the limit is ${this.config.MAX_MESSAGE_SIZE}`);
      }
      copies.push({ ...message, id, messageIdHeader, raw, recipients: [{ ...recipient, contactId }] });
    }
    return copies;
  }

  private content(draft: MessageDraft, templates: Map<string, Template>): { subject: string; text?: string; html?: string } {
    if (draft.template_id) {
      const template = templates.get(draft.template_id);
      if (!template) throw new DomainError('invalid', 'unknown_template', `template_id: no template ${draft.template_id} in this account`);
      const rendered = this.templates.render(template, draft.data ?? {});
      return { subject: draft.subject ?? rendered.subject, text: rendered.text, html: rendered.html };
    }
    if (!draft.subject) throw new DomainError('invalid', 'subject_required', 'subject: required unless template_id is given');
    if (!draft.text && !draft.html) throw new DomainError('invalid', 'body_required', 'text or html: at least one is required unless template_id is given');
    return { subject: draft.subject, text: draft.text, html: draft.html };
  }

  private async loadTemplates(accountId: string, drafts: MessageDraft[]): Promise<Map<string, Template>> {
    const ids = [...new Set(drafts.map((d) => d.template_id).filter((id): id is string => Boolean(id)))];
    if (!ids.length) return new Map();
    return new Map((await this.templateRepository.findMany(accountId, ids)).map((t) => [t.id, t]));
  }
}

function decodeAttachments(list: MessageDraft['attachments']): Attachment[] {
  return (list ?? []).map((a, i) => {
    assertSingleLine(`attachments[${i}].filename`, a.filename);
    const compact = a.content.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new DomainError('invalid', 'invalid_attachment', `attachments[${i}].content: not valid base64`);
    }
    if (a.content_type && !/^[\w.+-]+\/[\w.+-]+$/.test(a.content_type)) {
      throw new DomainError('invalid', 'invalid_attachment', `attachments[${i}].content_type: not a media type`);
    }
    return { filename: a.filename, content: Buffer.from(compact, 'base64'), contentType: a.content_type };
  });
}

function parseSendAt(value: string | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new DomainError('invalid', 'invalid_send_at', 'send_at: not an ISO 8601 date-time');
  if (date.getTime() - Date.now() > LIMITS.maxScheduleDays * 86_400_000) {
    throw new DomainError('invalid', 'invalid_send_at', `send_at: at most ${LIMITS.maxScheduleDays} days ahead`);
  }
  return date;
}

function checkTags(tags: string[] | undefined): string[] {
  const list = tags ?? [];
  if (list.length > LIMITS.tags) throw new DomainError('invalid', 'too_many_tags', `tags: at most ${LIMITS.tags}`);
  for (const tag of list) {
    if (!tag || tag.length > LIMITS.tagLength || /[\u0000-\u001f\u007f]/.test(tag)) throw new DomainError('invalid', 'invalid_tag', `tags: "${tag.slice(0, 20)}" must be 1-${LIMITS.tagLength} characters on one line`);
  }
  return list;
}

function checkMetadata(metadata: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!metadata) return {};
  const json = JSON.stringify(metadata);
  if (Buffer.byteLength(json) > LIMITS.metadataBytes) {
    throw new DomainError('invalid', 'metadata_too_large', `metadata: at most ${LIMITS.metadataBytes} bytes of JSON`);
  }
  // PostgreSQL's jsonb cannot hold a NUL character.
  if (json.includes('\\u0000')) throw new DomainError('invalid', 'invalid_metadata', 'metadata: NUL characters are not allowed');
  return metadata;
}

/** Broadcast mail, and mail with opens or clicks tracked, is composed per recipient. */
function perRecipient(message: NewMessage): boolean {
  return message.stream === 'broadcast' || message.trackOpens || message.trackClicks;
}
