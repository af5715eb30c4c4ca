import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { WebhookService } from '@mailroom/webhooks';
import { AccountId } from '../http/auth';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';
import {
  createSchema,
  createdView,
  deliveriesQuery,
  deliveryDetail,
  deliveryPage,
  listView,
  replayOneView,
  replaySchema,
  replayedView,
  rotateSchema,
  rotatedView,
  secretView,
  testView,
  updateSchema,
  view,
  webhookView,
} from './webhook.schema';

/** Standard Webhooks endpoints of the caller's account, their secrets, delivery log and replays. */
@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookService) {}

  @Post()
  @ApiDoc({ summary: 'Add an endpoint', description: 'Answers with the signing secret (whsec_...). The URL must resolve to public addresses.', body: createSchema, response: createdView, status: 201, errors: [422, 503] })
  async create(@AccountId() accountId: string, @Body(new ZodPipe(createSchema)) body: z.infer<typeof createSchema>) {
    const { webhook, secret } = await this.webhooks.create(accountId, body);
    return { ...view(webhook), secret };
  }

  @Get()
  @ApiDoc({ summary: 'List endpoints', response: listView })
  async list(@AccountId() accountId: string) {
    return { data: (await this.webhooks.list(accountId)).map((w) => view(w)) };
  }

  @Get(':id')
  @ApiDoc({ summary: 'One endpoint', response: webhookView, errors: [404] })
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return view(await this.webhooks.get(accountId, id));
  }

  @Patch(':id')
  @ApiDoc({ summary: 'Change an endpoint', description: 'Enabling a disabled endpoint clears why it was disabled; replay what it missed with POST /v1/webhooks/:id/replay.', body: updateSchema, response: webhookView, errors: [404, 422, 503] })
  async update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateSchema)) body: z.infer<typeof updateSchema>) {
    return view(await this.webhooks.update(accountId, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Remove an endpoint and its delivery log', errors: [404] })
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.webhooks.delete(accountId, id);
  }

  @Get(':id/secret')
  @ApiDoc({ summary: "The endpoint's signing secret (and the previous one while it still signs)", response: secretView, errors: [404] })
  secret(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.webhooks.secret(accountId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiDoc({ summary: 'Rotate the signing secret', description: 'The old secret keeps signing beside the new one (two v1 signatures) for old_secret_expires_in seconds.', body: rotateSchema, response: rotatedView, errors: [404, 422] })
  rotate(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(rotateSchema)) body: z.infer<typeof rotateSchema>) {
    return this.webhooks.rotate(accountId, id, { secret: body.secret, oldSecretExpiresIn: body.old_secret_expires_in });
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiDoc({ summary: 'Send a webhook.test event to this endpoint', description: 'Delivered like any event; follow it in the delivery log.', response: testView, status: 202, errors: [404] })
  test(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.webhooks.test(accountId, id);
  }

  @Get(':id/deliveries')
  @ApiDoc({ summary: 'Delivery log, newest first', query: deliveriesQuery, response: deliveryPage, errors: [404] })
  deliveries(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Query(new ZodPipe(deliveriesQuery)) query: z.infer<typeof deliveriesQuery>) {
    return this.webhooks.deliveries(accountId, id, query);
  }

  @Get(':id/deliveries/:deliveryId')
  @ApiDoc({ summary: 'One delivery: the payload and every attempt', response: deliveryDetail, errors: [404] })
  delivery(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Param('deliveryId', ParseUUIDPipe) deliveryId: string) {
    return this.webhooks.delivery(accountId, id, deliveryId);
  }

  @Post(':id/deliveries/:deliveryId/replay')
  @HttpCode(202)
  @ApiDoc({ summary: 'Send one delivery again', description: 'A new round of attempts under the same webhook-id; 409 while it is still being tried.', response: replayOneView, status: 202, errors: [404, 409] })
  async replayOne(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Param('deliveryId', ParseUUIDPipe) deliveryId: string) {
    await this.webhooks.replay(accountId, id, deliveryId);
    return { status: 'pending' as const };
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiDoc({ summary: 'Send again every failed delivery since a time', body: replaySchema, response: replayedView, status: 202, errors: [404] })
  async replay(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(replaySchema)) body: z.infer<typeof replaySchema>) {
    return { replayed: await this.webhooks.replayFailed(accountId, id, new Date(body.since), body.until ? new Date(body.until) : undefined) };
  }
}
