import { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import type { ListRow, ListWithCounts } from '@mailroom/db';
import { ListsService } from '@mailroom/newsletter';
import { contactsBody, requester } from '../contacts/contacts.controller';
import { upsertView } from '../contacts/contact-views';
import { AccountId } from '../http/auth';
import { listMembersAnswer, listView } from '../contacts/contact.openapi';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const text = (max: number) => z.string().max(max);
const listFields = {
  name: z.string().min(1).max(200),
  description: text(2000),
  opt_in: z.enum(['single', 'double']),
  list_id_header: text(255),
  form_enabled: z.boolean(),
  confirm_from: text(500).nullable(),
  confirm_subject: text(998).nullable(),
  confirm_html: text(100_000).nullable(),
  confirm_text: text(100_000).nullable(),
};
const createBody = z.object(listFields).partial().required({ name: true }).strict();
const updateBody = z.object(listFields).partial().strict();

@ApiTags('lists')
@Controller('v1/lists')
export class ListsController {
  private readonly publicUrl: string;

  constructor(
    private readonly lists: ListsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.publicUrl = config.PUBLIC_URL.replace(/\/+$/, '');
  }

  private view(list: ListRow | ListWithCounts) {
    return {
      id: list.id,
      name: list.name,
      description: list.description,
      opt_in: list.opt_in,
      list_id_header: list.list_id_header,
      form_enabled: list.form_enabled,
      form_url: list.form_enabled ? `${this.publicUrl}/subscribe/${list.id}` : null,
      confirm_from: list.confirm_from,
      confirm_subject: list.confirm_subject,
      confirm_html: list.confirm_html,
      confirm_text: list.confirm_text,
      ...('counts' in list ? { counts: list.counts } : {}),
      created_at: list.created_at,
      updated_at: list.updated_at,
    };
  }

  @Post()
  @ApiDoc({ summary: 'Create a list', body: createBody, response: listView, status: 201, errors: [409, 422] })
  async create(@AccountId() accountId: string, @Body(new ZodPipe(createBody)) body: z.infer<typeof createBody>) {
    return this.view(await this.lists.create(accountId, body));
  }

  /** Every list with its member counts by state. */
  @Get()
  @ApiDoc({ summary: 'Every list with its member counts', response: z.array(listView) })
  async list(@AccountId() accountId: string) {
    return (await this.lists.list(accountId)).map((l) => this.view(l));
  }

  @Get(':id')
  @ApiDoc({ summary: 'Read a list', response: listView, errors: [404] })
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.view(await this.lists.get(accountId, id));
  }

  @Patch(':id')
  @ApiDoc({ summary: 'Change a list', body: updateBody, response: listView, errors: [404, 409, 422] })
  async update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateBody)) body: z.infer<typeof updateBody>) {
    return this.view(await this.lists.update(accountId, id, body));
  }

  /** Deletes the list and its memberships; the contacts stay. */
  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Delete a list (the contacts stay)', errors: [404] })
  async remove(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.lists.delete(accountId, id);
  }

  /**
   * Upserts the contacts and puts them on the list: subscribed on a single opt-in list;
   * unconfirmed, with a confirmation mail, on a double opt-in list.
   */
  @Post(':id/contacts')
  @HttpCode(200)
  @ApiDoc({ summary: 'Upsert contacts and put them on the list', body: contactsBody, response: listMembersAnswer, errors: [404, 413, 422] })
  async addContacts(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(contactsBody)) body: z.infer<typeof contactsBody>, @Req() request: FastifyRequest) {
    const rows = await this.lists.addContacts(accountId, id, body, { method: 'api', ...requester(request) });
    return upsertView(rows, (r) => ({ status: r.membership, ...(r.confirmation ? { confirmation: r.confirmation } : {}) }));
  }

  @Delete(':id/contacts/:email')
  @HttpCode(204)
  @ApiDoc({ summary: 'Take a contact off the list', errors: [404] })
  async removeContact(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Param('email') email: string): Promise<void> {
    await this.lists.removeContact(accountId, id, email);
  }

  /** The members as CSV, streamed page by page from the database. */
  @Get(':id/export.csv')
  @ApiDoc({ summary: 'The list\'s members as CSV', csv: true, errors: [404] })
  async export(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Res() reply: FastifyReply): Promise<void> {
    const list = await this.lists.get(accountId, id);
    const name = list.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60) || 'list';
    await reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .send(Readable.from(this.lists.exportCsv(accountId, id)));
  }
}
