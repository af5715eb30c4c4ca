import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiTags } from '@nestjs/swagger';
import { DomainError, notFound } from '@mailroom/common';
import { MessageRepository } from '@mailroom/db';
import { SendingService, type AcceptResult, type MessageDraft } from '@mailroom/sending';
import { AccountId } from '../http/auth';
import { ApiDoc } from '../http/openapi';
import { ZodPipe, jsonSchema } from '../http/zod';
import { acceptedView, batchAnswer, batchSchema, listQuery, messageDetail, messagePage, messageSchema } from './message.schema';
import type { z } from 'zod';

const IDEMPOTENCY = { name: 'Idempotency-Key', required: false, description: 'The same key within 24 hours returns the first answer and sends nothing new' };

/** The status every answer of POST /v1/messages and /batch has, kept with an idempotency key's answer. */
const ACCEPTED = 202;

function idempotency(value: string | undefined): { key: string; status: number } | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(value)) throw new DomainError('invalid', 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters');
  return { key: value, status: ACCEPTED };
}

/** A draft's answer in a batch: refused by code and message (a single send answers with the kind's HTTP status instead). */
function answer(result: AcceptResult) {
  return 'error' in result ? { error: { code: result.error.code, message: result.error.message } } : result;
}

@ApiTags('messages')
@Controller('v1/messages')
export class MessagesController {
  constructor(
    private readonly sending: SendingService,
    private readonly messages: MessageRepository,
  ) {}

  /** One message (to many recipients, if you like). Stored before the 202. */
  @Post()
  @HttpCode(202)
  @ApiDoc({ summary: 'Send a message', description: 'Stored before the 202; one message, to many recipients if you like.', body: messageSchema, response: acceptedView, status: 202, errors: [409, 413, 422, 429] })
  @ApiHeader(IDEMPOTENCY)
  async send(
    @AccountId() accountId: string,
    @Body(new ZodPipe(messageSchema)) body: z.infer<typeof messageSchema>,
    @Headers('idempotency-key') key?: string,
  ) {
    const { results } = await this.sending.accept(accountId, [body as MessageDraft], idempotency(key));
    const [result] = results;
    if ('error' in result) throw new DomainError(result.error.kind, result.error.code, result.error.message);
    return result;
  }

  /** Up to 500 messages; each is accepted or refused on its own. */
  @Post('batch')
  @HttpCode(202)
  @ApiDoc({ summary: 'Send up to 500 messages', description: 'Each is accepted or refused on its own: one answer per item, in order.', response: batchAnswer, status: 202, errors: [400, 413, 429] })
  @ApiBody({ schema: { type: 'array', minItems: 1, maxItems: 500, items: jsonSchema(messageSchema) }, description: 'an array of the bodies POST /v1/messages takes', required: true })
  @ApiHeader(IDEMPOTENCY)
  async batch(@AccountId() accountId: string, @Body(new ZodPipe(batchSchema)) body: unknown[], @Headers('idempotency-key') key?: string) {
    const drafts: MessageDraft[] = [];
    const invalid = new Map<number, { error: { code: string; message: string } }>();
    body.forEach((item, index) => {
      const parsed = messageSchema.safeParse(item);
      if (parsed.success) drafts.push(parsed.data as MessageDraft);
      else {
        const issue = parsed.error.issues[0];
        invalid.set(index, { error: { code: 'invalid_request', message: `${issue.path.join('.') || 'message'}: ${issue.message}` } });
      }
    });
    const { results } = await this.sending.accept(accountId, drafts, idempotency(key));
    let next = 0;
    return body.map((_, index) => invalid.get(index) ?? answer(results[next++]!));
  }

  @Get()
  @ApiDoc({ summary: 'Search messages, newest first', query: listQuery, response: messagePage })
  list(@AccountId() accountId: string, @Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    return this.messages.list(accountId, query);
  }

  /** The message, each recipient's status and reply, and the event timeline. */
  @Get(':id')
  @ApiDoc({ summary: 'A message: each recipient\'s status and reply, and the event timeline', response: messageDetail, errors: [404] })
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    const message = await this.messages.find(accountId, id);
    if (!message) throw notFound('message');
    return {
      id: message.id,
      status: summarize(message.recipients.map((r) => r.status)),
      stream: message.stream,
      from: message.fromAddress,
      subject: message.subject,
      message_id: message.messageIdHeader,
      tags: message.tags,
      metadata: message.metadata,
      size: message.size,
      send_at: message.sendAt,
      created_at: message.createdAt,
      recipients: message.recipients.map((r) => ({
        email: r.email,
        kind: r.kind,
        status: r.status,
        bounce_type: r.bounceType,
        attempts: r.attempts,
        last_response: r.lastResponse,
        last_code: r.lastCode,
        last_enhanced_code: r.lastEnhanced,
        mx_host: r.lastMxHost,
        next_attempt_at: r.nextAttemptAt,
        delivered_at: r.deliveredAt,
      })),
      events: message.events.map((e) => ({
        type: e.type,
        recipient: message.recipients.find((r) => r.id === e.recipientId)?.email ?? null,
        detail: e.detail,
        data: e.data,
        at: e.createdAt,
      })),
    };
  }
}

/** One word for the whole message: the least finished state of its recipients. */
function summarize(statuses: string[]): string {
  const order = ['sending', 'queued', 'deferred', 'delivered', 'bounced', 'blocked', 'complained', 'failed', 'suppressed'];
  if (!statuses.length) return 'queued';
  if (new Set(statuses).size === 1) return statuses[0];
  if (statuses.some((s) => s === 'sending' || s === 'queued' || s === 'deferred')) return order.find((s) => statuses.includes(s))!;
  return statuses.includes('delivered') ? 'partially_delivered' : order.find((s) => statuses.includes(s))!;
}
