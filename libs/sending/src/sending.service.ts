import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import { Inject, Injectable } from '@nestjs/common';
import { Batcher, DomainError, newId } from '@mailroom/common';
import {
  addressesShownIn,
  assertSingleLine,
  checkSubmittedHeaderBlock,
  completeSubmittedMessage,
  composeMessage,
  decodeHeaderText,
  headerValues,
  parseAddress,
  parseAddressList,
  readHeaders,
  removeBccFields,
  submittedSenders,
  TemplateRenderer,
  validateHeaders,
  type Attachment,
  type MailAddress,
} from '@mailroom/compose';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { AccountRepository, DomainRepository, MessageRepository, TemplateRepository, type NewMessage, type Template } from '@mailroom/db';
import { currentRequestId, LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';
import { HourlyQuota } from '@mailroom/ratelimit';
import { PRIORITY, Queues, type AnyEnqueue } from '@mailroom/queue';
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
  private readonly quota: HourlyQuota;
  private readonly limits = new Map<string, { limit: number | null; until: number }>();
  private readonly domainCache = new Map<string, { domains: Promise<Domains>; until: number }>();
  /**
   * Relay sessions submit one message each; storing them one transaction apiece would cost a
   * dozen round trips per message. Concurrent submissions share transactions (one per account)
   * and one enqueue, the way a batch from the API does.
   */
  private readonly submissions = new Batcher<{ accountId: string; message: NewMessage }, Error | undefined>(async (items) => {
    const byAccount = new Map<string, NewMessage[]>();
    for (const { accountId, message } of items) {
      const list = byAccount.get(accountId);
      if (list) list.push(message);
      else byAccount.set(accountId, [message]);
    }
    const accounts = [...byAccount.keys()];
    // Each account's transaction stands alone: one that fails must not tell another account's
    // clients to retry messages that were stored (they would be sent twice).
    const jobs = new Map(accounts.map((accountId) => [accountId, this.planDelivery(byAccount.get(accountId)!)]));
    const settled = await Promise.allSettled(accounts.map((accountId) => this.messages.accept(accountId, byAccount.get(accountId)!)));
    const failed = new Map(accounts.flatMap((accountId, i) => (settled[i]!.status === 'rejected' ? [[accountId, (settled[i] as PromiseRejectedResult).reason as Error]] : [])));
    await this.enqueue(accounts.filter((accountId) => !failed.has(accountId)).flatMap((accountId) => jobs.get(accountId)!));
    return items.map((i) => failed.get(i.accountId));
  }, { maxSize: 200 });

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly accounts: AccountRepository,
    private readonly domains: DomainRepository,
    private readonly messages: MessageRepository,
    private readonly templateRepository: TemplateRepository,
    private readonly queues: Queues,
    redis: RedisConnection,
  ) {
    this.quota = new HourlyQuota(redis.client, redis.key('sending'));
  }

  /**
   * A message submitted over SMTP, kept as the client sent it: only a missing Date or Message-ID
   * is added. The envelope decides who receives it (BCC recipients appear in no header); the
   * envelope sender and every From: address must be on a verified domain of the account.
   */
  async acceptSubmission(accountId: string, input: { envelopeFrom: string; recipients: string[]; raw: Buffer }): Promise<{ id: string; status: AcceptStatus; messageId: string }> {
    if (!input.envelopeFrom) throw new DomainError('invalid', 'null_sender', 'MAIL FROM:<> is for bounces; give a sender address on one of your domains');
    const envelopeFrom = parseAddress(input.envelopeFrom, 'MAIL FROM');
    await this.senderDomainOf(accountId, envelopeFrom, 'MAIL FROM');
    // Lines end in CRLF from here on: a bare CR or LF would let the header we check and the header
    // a receiver reads differ (a From: hidden behind a bare CR), so they become CRLF first.
    const normalized = normalizeLineEndings(input.raw);
    // Headers are read the strictest way and refused where receivers could read them otherwise
    // (controls, stray lines, ambiguous addresses): what we check must be what they see.
    checkSubmittedHeaderBlock(normalized);
    const headers = readHeaders(normalized);
    const { authors, owned } = submittedSenders(headers);
    // Every header naming a sender names the account's own domains.
    for (const { field, address } of owned) await this.senderDomainOf(accountId, address, field);
    // The message is signed for (and bounces return to) the author's domain: DMARC aligns with From:.
    const signingDomain = await this.senderDomainOf(accountId, authors[0]!, 'From:');
    const recipients = parseAddressList(input.recipients, 'RCPT TO');
    if (!recipients.length) throw new DomainError('invalid', 'no_recipients', 'at least one RCPT TO is required');
    if (recipients.length > LIMITS.recipientsPerMessage) throw new DomainError('invalid', 'too_many_recipients', `at most ${LIMITS.recipientsPerMessage} recipients per message`);
    if (input.raw.length > this.config.MAX_MESSAGE_SIZE) {
      throw new DomainError('too_large', 'message_too_large', `the message is ${input.raw.length} bytes; the limit is ${this.config.MAX_MESSAGE_SIZE}`);
    }
    const visible = new Set(
      ['to', 'cc'].flatMap((name) => headerValues(headers, name)).flatMap((value) => safeAddresses(value).map((a) => a.toLowerCase())),
    );
    // Bcc: is for the sender's copy; recipients get the message through the envelope.
    const { raw, messageId } = completeSubmittedMessage(removeBccFields(normalized), headers, this.config.MAIL_HOSTNAME);
    const seen = new Set<string>();
    const message: NewMessage = {
      id: newId(),
      domainId: signingDomain.id,
      campaignId: null,
      templateId: null,
      stream: 'transactional',
      source: 'smtp',
      fromAddress: authors[0]!.address,
      subject: decodeHeaderText(headerValues(headers, 'subject')[0] ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 998),
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
        .map((a) => ({ id: newId(), email: a.address, domain: a.domain, kind: visible.has(a.address.toLowerCase()) ? ('to' as const) : ('bcc' as const), suppressed: false })),
    };
    const suppressed = await this.messages.suppressed(accountId, message.recipients.map((r) => r.email.toLowerCase()));
    for (const r of message.recipients) r.suppressed = suppressed.has(r.email.toLowerCase());
    const giveBackQuota = await this.takeQuota(accountId, 1);
    const failure = await this.submissions.submit({ accountId, message }).catch((error: unknown) => error as Error);
    if (failure) {
      await giveBackQuota();
      throw failure;
    }
    return { id: message.id, status: message.recipients.every((r) => r.suppressed) ? 'suppressed' : 'queued', messageId };
  }

  /**
   * Whether `address` may be an envelope sender for the account: on one of its verified domains.
   * The relay asks at MAIL FROM, before the client sends the message.
   */
  async checkSender(accountId: string, address: string, field: string): Promise<void> {
    await this.senderDomainOf(accountId, parseAddress(address, field), field);
  }

  /** senderDomain() over the cached list, asking the database again before saying no. */
  private async senderDomainOf(accountId: string, address: MailAddress, field: string): Promise<Domains[number]> {
    try {
      return senderDomain(await this.domainsOf(accountId), address, field);
    } catch (error) {
      // A domain added or verified a moment ago must work at once.
      if (error instanceof DomainError) return senderDomain(await this.domainsOf(accountId, true), address, field);
      throw error;
    }
  }

  /** The account's domains, read at most every few seconds (each relay transaction asks twice). */
  private domainsOf(accountId: string, fresh = false): Promise<Domains> {
    const now = Date.now();
    let entry = this.domainCache.get(accountId);
    if (fresh || !entry || entry.until < now) {
      const domains = this.domains.list(accountId);
      domains.catch(() => this.domainCache.delete(accountId));
      entry = { domains, until: now + 5_000 };
      if (this.domainCache.size > 10_000) this.domainCache.clear();
      this.domainCache.set(accountId, entry);
    }
    return entry.domains;
  }

  /** The account's optional hourly cap (accounts.send_limit_per_hour), shared by the API and the relay. */
  /** Counts `count` messages against the account's hourly limit; returns how to give them back. */
  private async takeQuota(accountId: string, count: number): Promise<() => Promise<void>> {
    let cached = this.limits.get(accountId);
    if (!cached || cached.until < Date.now()) {
      const account = await this.accounts.find(accountId);
      cached = { limit: account?.sendLimitPerHour ?? null, until: Date.now() + 30_000 };
      this.limits.set(accountId, cached);
    }
    if (cached.limit === null || count === 0) return async () => undefined;
    const taken = await this.quota.take(accountId, count, cached.limit);
    if (!taken.ok) {
      throw new DomainError(
        'rate_limited',
        'send_limit_exceeded',
        `this account may send ${cached.limit} messages per hour; ${taken.used} sent this hour, ${count} more refused; the hour resets in ${taken.resetsInSeconds} s`,
      );
    }
    // Messages that are not stored after all (the database failed) do not use up the hour.
    return () => this.quota.giveBack(accountId, count, taken.hour).catch(() => undefined);
  }

  /**
   * Accepts drafts independently: each answer is an id and status, or the error that refused
   * that draft alone. With an idempotency key, a repeat within 24 hours returns the first answer.
   */
  async accept(accountId: string, drafts: MessageDraft[], idempotencyKey?: string): Promise<{ results: AcceptResult[]; replayed: boolean }> {
    const templates = await this.loadTemplates(accountId, drafts);
    const results: AcceptResult[] = [];
    const accepted: NewMessage[] = [];
    for (const draft of drafts) {
      try {
        const message = await this.prepare(accountId, draft, templates);
        accepted.push(message);
        results.push({ id: message.id, status: 'queued', message_id: message.messageIdHeader });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results.push({ error: { code: error.code, message: error.message } });
      }
    }

    // A replay answers from the record and uses none of the hour's quota.
    const previous = idempotencyKey ? await this.messages.previousAnswer(accountId, idempotencyKey) : null;
    if (previous) return { results: previous.response as AcceptResult[], replayed: true };
    const giveBackQuota = await this.takeQuota(accountId, accepted.length);
    const suppressed = await this.messages.suppressed(accountId, [...new Set(accepted.flatMap((m) => m.recipients.map((r) => r.email.toLowerCase())))]);
    const resultOf = new Map(results.flatMap((x) => ('id' in x ? [[x.id, x] as const] : [])));
    for (const message of accepted) {
      for (const r of message.recipients) r.suppressed = suppressed.has(r.email.toLowerCase());
      const result = resultOf.get(message.id) as { status: AcceptStatus };
      result.status = message.recipients.every((r) => r.suppressed) ? 'suppressed' : message.sendAt && message.sendAt > new Date() ? 'scheduled' : 'queued';
    }

    const jobs = this.planDelivery(accepted);
    let stored: Awaited<ReturnType<MessageRepository['accept']>>;
    try {
      stored = await this.messages.accept(accountId, accepted, idempotencyKey ? { key: idempotencyKey, answer: { status: 202, response: results } } : undefined);
    } catch (error) {
      await giveBackQuota();
      throw error;
    }
    if (!stored.stored) {
      // A concurrent request with the same key stored first: this one is a replay.
      await giveBackQuota();
      return { results: stored.previous.response as AcceptResult[], replayed: true };
    }
    await this.enqueue(jobs);
    return { results, replayed: false };
  }

  private async prepare(accountId: string, draft: MessageDraft, templates: Map<string, Template>): Promise<NewMessage> {
    const from = parseAddress(draft.from, 'from');
    const domain = await this.senderDomainOf(accountId, from, 'from');
    // As on the relay: an address the display name shows must be the account's too.
    for (const shown of addressesShownIn(from.name ?? '', 'from')) await this.senderDomainOf(accountId, shown, 'from (shown in the display name)');
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
      // The API call's x-request-id: the worker logs this message's deliveries under it.
      requestId: currentRequestId() ?? null,
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

  /**
   * The delivery jobs for messages about to be stored: one per (message, domain), except that
   * messages accepted together for the same domain and stream, to go now, share jobs of up to
   * DELIVERY_BATCH_SIZE (runs), so a campaign batch costs the queue a job per run, not per
   * message. Runs are cut evenly, so a batch still spreads over as many connections as it can
   * use. Each recipient in a run is marked with it (runId), so the sweeper can re-enqueue the
   * run under its own job id.
   */
  private planDelivery(messages: NewMessage[]): AnyEnqueue[] {
    const jobs: AnyEnqueue[] = [];
    const now = Date.now();
    const runs = new Map<string, { domain: string; stream: NewMessage['stream']; messages: NewMessage[] }>();
    for (const message of messages) {
      const domains = new Set(message.recipients.filter((r) => !r.suppressed).map((r) => r.domain));
      const delay = message.sendAt ? Math.max(0, message.sendAt.getTime() - now) : 0;
      for (const domain of domains) {
        if (delay > 0) {
          jobs.push({ name: 'deliver', payload: { messageId: message.id, domain, attempt: 0 }, priority: PRIORITY[message.stream], delay });
          continue;
        }
        const key = `${message.stream}|${domain}`;
        const run = runs.get(key);
        if (run) run.messages.push(message);
        else runs.set(key, { domain, stream: message.stream, messages: [message] });
      }
    }
    const size = this.config.DELIVERY_BATCH_SIZE;
    for (const { domain, stream, messages: list } of runs.values()) {
      const per = Math.ceil(list.length / Math.ceil(list.length / size));
      for (let at = 0; at < list.length; at += per) {
        const run = list.slice(at, at + per);
        if (run.length === 1) {
          jobs.push({ name: 'deliver', payload: { messageId: run[0]!.id, domain, attempt: 0 }, priority: PRIORITY[stream] });
          continue;
        }
        const runId = run[0]!.id;
        for (const message of run) for (const r of message.recipients) if (r.domain === domain) r.runId = runId;
        jobs.push({ name: 'deliver-batch', payload: { runId, messageIds: run.map((m) => m.id), domain }, priority: PRIORITY[stream] });
      }
    }
    return jobs;
  }

  private async enqueue(jobs: AnyEnqueue[]): Promise<void> {
    if (!jobs.length) return;
    try {
      await this.queues.enqueueMany(jobs);
    } catch (error) {
      // Stored is what counts: the sweeper puts queued work back on the queue (README: Durability).
      this.logger.warn({ err: error, jobs: jobs.length }, 'enqueue failed; the sweeper will pick the messages up');
    }
  }
}

/** Every bare CR or bare LF becomes CRLF; a message already in CRLF comes back as it is. */
function normalizeLineEndings(raw: Buffer): Buffer {
  let bare = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if ((byte === 0x0d && raw[i + 1] !== 0x0a) || (byte === 0x0a && raw[i - 1] !== 0x0d)) {
      bare = true;
      break;
    }
  }
  if (!bare) return raw;
  return Buffer.from(raw.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

/** The account's verified domain an address is on, or the error that says why it may not send. */
function senderDomain(domains: Domains, address: MailAddress, field: string): Domains[number] {
  const domain = domains.find((d) => d.name === address.domain);
  if (!domain) {
    throw new DomainError('invalid', 'unknown_sender_domain', `${field}: ${address.domain} is not a domain of this account; add it with POST /v1/domains`, { field });
  }
  if (!domain.verifiedAt) {
    throw new DomainError('invalid', 'domain_not_verified', `${field}: ${address.domain} is not verified yet; publish its DNS records and call POST /v1/domains/${domain.id}/verify`, { field });
  }
  return domain;
}

function safeAddresses(value: string): string[] {
  return addressparser(value, { flatten: true }).map((a) => a.address).filter(Boolean);
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
