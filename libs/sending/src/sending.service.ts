import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, newId } from '@mailroom/common';
import {
  assertSingleLine,
  composeMessage,
  parseAddress,
  parseAddressList,
  TemplateRenderer,
  validateHeaders,
  type Attachment,
} from '@mailroom/compose';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DomainRepository, MessageRepository, TemplateRepository, type NewMessage, type Template } from '@mailroom/db';
import { LOGGER, type Logger } from '@mailroom/logger';
import { PRIORITY, Queues, type Enqueue, type JobName } from '@mailroom/queue';
import { LIMITS, type AcceptResult, type AcceptStatus, type MessageDraft } from './message-draft';

type Domains = Awaited<ReturnType<DomainRepository['list']>>;

/**
 * Accepting mail: validate, render templates, compose MIME, drop suppressed recipients, store
 * everything in one transaction, then enqueue. A message is in PostgreSQL before anyone is told
 * 202; if Redis is down at that moment, the sweeper enqueues it later.
 */
@Injectable()
export class SendingService {
  private readonly templates = new TemplateRenderer();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly domains: DomainRepository,
    private readonly messages: MessageRepository,
    private readonly templateRepository: TemplateRepository,
    private readonly queues: Queues,
  ) {}

  /**
   * Accepts drafts independently: each answer is an id and status, or the error that refused
   * that draft alone. With an idempotency key, a repeat within 24 hours returns the first answer.
   */
  async accept(accountId: string, drafts: MessageDraft[], idempotencyKey?: string): Promise<{ results: AcceptResult[]; replayed: boolean }> {
    const domains = await this.domains.list(accountId);
    const templates = await this.loadTemplates(accountId, drafts);
    const results: AcceptResult[] = [];
    const accepted: NewMessage[] = [];
    for (const draft of drafts) {
      try {
        const message = await this.prepare(draft, domains, templates);
        accepted.push(message);
        results.push({ id: message.id, status: 'queued', message_id: message.messageIdHeader });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results.push({ error: { code: error.code, message: error.message } });
      }
    }

    const suppressed = await this.messages.suppressed(accountId, [...new Set(accepted.flatMap((m) => m.recipients.map((r) => r.email.toLowerCase())))]);
    for (const message of accepted) {
      for (const r of message.recipients) r.suppressed = suppressed.has(r.email.toLowerCase());
      const result = results.find((x) => 'id' in x && x.id === message.id) as { status: AcceptStatus };
      result.status = message.recipients.every((r) => r.suppressed) ? 'suppressed' : message.sendAt && message.sendAt > new Date() ? 'scheduled' : 'queued';
    }

    const stored = await this.messages.accept(accountId, accepted, idempotencyKey ? { key: idempotencyKey, answer: { status: 202, response: results } } : undefined);
    if (!stored.stored) return { results: stored.previous.response as AcceptResult[], replayed: true };
    await this.enqueue(accepted);
    return { results, replayed: false };
  }

  private async prepare(draft: MessageDraft, domains: Domains, templates: Map<string, Template>): Promise<NewMessage> {
    const from = parseAddress(draft.from, 'from');
    const domain = domains.find((d) => d.name === from.domain);
    if (!domain) {
      throw new DomainError('invalid', 'unknown_sender_domain', `from: ${from.domain} is not a domain of this account; add it with POST /v1/domains`);
    }
    if (!domain.verifiedAt) {
      throw new DomainError('invalid', 'domain_not_verified', `from: ${from.domain} is not verified yet; publish its DNS records and call POST /v1/domains/${domain.id}/verify`);
    }
    const to = parseAddressList(draft.to, 'to');
    const cc = parseAddressList(draft.cc, 'cc');
    const bcc = parseAddressList(draft.bcc, 'bcc');
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

    const id = newId();
    const messageIdHeader = `${randomUUID()}@${this.config.MAIL_HOSTNAME}`;
    const raw = await composeMessage({ from, to, cc, replyTo, subject: content.subject, text: content.text, html: content.html, attachments, headers, messageId: messageIdHeader });
    if (raw.length > this.config.MAX_MESSAGE_SIZE) {
      throw new DomainError('too_large', 'message_too_large', `the message is ${raw.length} bytes; the limit is ${this.config.MAX_MESSAGE_SIZE}`);
    }
    const seen = new Set<string>();
    return {
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
      trackOpens: draft.track_opens ?? stream === 'broadcast',
      trackClicks: draft.track_clicks ?? stream === 'broadcast',
      raw,
      sendAt,
      recipients: [...to.map((a) => ({ a, kind: 'to' as const })), ...cc.map((a) => ({ a, kind: 'cc' as const })), ...bcc.map((a) => ({ a, kind: 'bcc' as const }))]
        // The same address twice in one message gets one copy.
        .filter(({ a }) => !seen.has(a.address.toLowerCase()) && seen.add(a.address.toLowerCase()))
        .map(({ a, kind }) => ({ id: newId(), email: a.address, domain: a.domain, kind, suppressed: false })),
    };
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

  private async enqueue(messages: NewMessage[]): Promise<void> {
    const jobs: Array<Enqueue<JobName>> = [];
    const now = Date.now();
    for (const message of messages) {
      const domains = new Set(message.recipients.filter((r) => !r.suppressed).map((r) => r.domain));
      for (const domain of domains) {
        jobs.push({
          name: 'deliver',
          payload: { messageId: message.id, domain, attempt: 0 },
          priority: PRIORITY[message.stream],
          delay: message.sendAt ? Math.max(0, message.sendAt.getTime() - now) : undefined,
        });
      }
    }
    if (!jobs.length) return;
    try {
      await this.queues.enqueueMany(jobs);
    } catch (error) {
      // Stored is what counts: the sweeper puts queued work back on the queue within a minute.
      this.logger.warn({ err: error, jobs: jobs.length }, 'enqueue failed; the sweeper will pick the messages up');
    }
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
    if (!tag || tag.length > LIMITS.tagLength || /[\r\n]/.test(tag)) throw new DomainError('invalid', 'invalid_tag', `tags: "${tag.slice(0, 20)}" must be 1-${LIMITS.tagLength} characters on one line`);
  }
  return list;
}

function checkMetadata(metadata: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!metadata) return {};
  if (Buffer.byteLength(JSON.stringify(metadata)) > LIMITS.metadataBytes) {
    throw new DomainError('invalid', 'metadata_too_large', `metadata: at most ${LIMITS.metadataBytes} bytes of JSON`);
  }
  return metadata;
}
