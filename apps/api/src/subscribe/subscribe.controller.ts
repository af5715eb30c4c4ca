import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@mailroom/common';
import { SubscriptionService, type ConfirmOutcome, type FormOutcome } from '@mailroom/newsletter';
import { requester } from '../contacts/contacts.controller';
import { Public } from '../http/auth';
import type { FormFields } from '../http/form-body';
import { confirmPage, formPage, messagePage } from './subscribe-pages';

const STATUS: Record<string, number> = { invalid: 422, not_found: 404, rate_limited: 429 };
const field = (fields: unknown, name: string): string | undefined => {
  const value = fields && typeof fields === 'object' ? (fields as Record<string, unknown>)[name] : undefined;
  const one = Array.isArray(value) ? value[0] : value;
  return typeof one === 'string' ? one : undefined;
};
const FORM_ANSWER: Record<FormOutcome, string> = {
  subscribed: 'You are subscribed. Thank you!',
  confirmation_sent: 'Almost done: we sent you an email. Please follow the link in it to confirm your subscription.',
};

/** Whether the client asked for JSON rather than a page. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /application\/json/i.test(accept) && !/text\/html/i.test(accept);
}

/**
 * The public side of lists (no API key): the subscription form (GET shows it, POST subscribes,
 * form-encoded or JSON, answering a small page or JSON when asked) and the double opt-in
 * confirmation (GET shows a button, only POST confirms, because mail scanners open links).
 */
@ApiExcludeController()
@Public()
@Controller()
export class SubscribeController {
  constructor(private readonly subscriptions: SubscriptionService) {}

  @Get('subscribe/:listId')
  async form(@Param('listId') listId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    try {
      const list = await this.subscriptions.formList(listId);
      await this.html(reply, 200, formPage(list, request.url));
    } catch (error) {
      await this.fail(reply, request, error);
    }
  }

  @Post('subscribe/:listId')
  async subscribe(@Param('listId') listId: string, @Body() body: FormFields | Record<string, unknown> | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const fields = { email: field(body, 'email'), name: field(body, 'name'), website: field(body, 'website') };
    try {
      const { outcome } = await this.subscriptions.submit(listId, fields, requester(request));
      if (wantsJson(request)) await reply.code(200).send({ status: outcome, message: FORM_ANSWER[outcome] });
      else await this.html(reply, 200, messagePage('Thank you', FORM_ANSWER[outcome]));
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'invalid' && !wantsJson(request)) {
        const list = await this.subscriptions.formList(listId).catch(() => null);
        if (list) return this.html(reply, 422, formPage(list, request.url, error.message.replace(/^email: /, '')));
      }
      await this.fail(reply, request, error);
    }
  }

  @Get('confirm/:token')
  async showConfirm(@Param('token') token: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const seen = await this.subscriptions.inspect(token);
    if (!seen.ok) return this.refused(reply, seen);
    if (seen.status === 'subscribed') return this.html(reply, 200, messagePage('Subscribed', `You are subscribed to ${seen.list.name}.`));
    if (seen.status === 'unsubscribed') return this.html(reply, 410, messagePage('Link no longer valid', 'You have unsubscribed from this list since this link was sent.'));
    await this.html(reply, 200, confirmPage(seen.list, request.url));
  }

  @Post('confirm/:token')
  async confirm(@Param('token') token: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const done = await this.subscriptions.confirm(token, requester(request));
    if (!done.ok) return this.refused(reply, done, wantsJson(request));
    if (done.status !== 'subscribed') return this.html(reply, 410, messagePage('Link no longer valid', 'You have unsubscribed from this list since this link was sent.'));
    if (wantsJson(request)) return void (await reply.code(200).send({ status: 'subscribed', list_id: done.list.id }));
    await this.html(reply, 200, messagePage('Subscribed', `Thank you: your subscription to ${done.list.name} is confirmed.`));
  }

  private async refused(reply: FastifyReply, outcome: Extract<ConfirmOutcome, { ok: false }>, json = false): Promise<void> {
    const [status, title, message] =
      outcome.reason === 'expired'
        ? [410, 'Link expired', 'This confirmation link has expired (links work for 7 days). Please subscribe again to get a new one.']
        : outcome.reason === 'gone'
          ? [410, 'Link no longer valid', 'This subscription no longer exists.']
          : [404, 'Link not valid', 'This confirmation link is not valid.'];
    if (json) return void (await reply.code(status).send({ error: { code: outcome.reason === 'invalid' ? 'invalid_token' : `token_${outcome.reason}`, message } }));
    await this.html(reply, status, messagePage(title, message));
  }

  private async fail(reply: FastifyReply, request: FastifyRequest, error: unknown): Promise<void> {
    if (!(error instanceof DomainError) || !STATUS[error.kind]) throw error;
    const status = STATUS[error.kind]!;
    if (wantsJson(request)) return void (await reply.code(status).send({ error: { code: error.code, message: error.message } }));
    await this.html(reply, status, messagePage(status === 429 ? 'Please try again later' : status === 404 ? 'Not found' : 'Please check the form', error.message));
  }

  private async html(reply: FastifyReply, status: number, body: string): Promise<void> {
    await reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('x-robots-tag', 'noindex').send(body);
  }
}
