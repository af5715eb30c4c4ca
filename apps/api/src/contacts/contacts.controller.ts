import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ContactsService, MAX_CONTACTS_PER_REQUEST, normalizeContactEmail } from '@mailroom/newsletter';
import { AccountId } from '../http/auth';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';
import { contactDetail, contactPage, contactView as contactSchema, upsertAnswer } from './contact.openapi';
import { contactMessageView, contactView, membershipView, upsertView } from './contact-views';

const STATUSES = ['active', 'unsubscribed', 'bounced', 'complained'] as const;
/** A contact as given: its address and attributes (name and any custom fields). */
export const contactItem = z.object({ email: z.string().max(1000), attributes: z.record(z.unknown()).optional() }).strict();
export const contactsBody = z.array(contactItem).min(1, 'give at least one contact').max(MAX_CONTACTS_PER_REQUEST, `at most ${MAX_CONTACTS_PER_REQUEST} contacts per request`);
const listQuery = z
  .object({
    email: z.string().max(1000).optional(),
    list_id: z.string().uuid().optional(),
    status: z.enum(STATUSES).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
const patchBody = z.object({ attributes: z.record(z.unknown()).optional(), status: z.enum(STATUSES).optional() }).strict();

/** Where a request comes from, for consent records. */
export function requester(request: FastifyRequest): { ip: string | null; userAgent: string | null } {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent.slice(0, 500) : null };
}

@ApiTags('contacts')
@Controller('v1/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  /** Upserts by address (up to 10,000 per request, one statement): attributes merge; consent is recorded on new contacts. */
  @Post()
  @HttpCode(200)
  @ApiDoc({ summary: 'Upsert contacts by address (up to 10,000)', body: contactsBody, response: upsertAnswer, errors: [413, 422] })
  async upsert(@AccountId() accountId: string, @Body(new ZodPipe(contactsBody)) body: z.infer<typeof contactsBody>, @Req() request: FastifyRequest) {
    return upsertView(await this.contacts.upsert(accountId, body, { method: 'api', ...requester(request) }));
  }

  /** Newest first, cursor-paged; filters by address, list and status. */
  @Get()
  @ApiDoc({ summary: 'Search contacts, newest first', query: listQuery, response: contactPage })
  async list(@AccountId() accountId: string, @Query(new ZodPipe(listQuery)) query: z.infer<typeof listQuery>) {
    const email = query.email === undefined ? undefined : (normalizeContactEmail(query.email) ?? query.email.trim().toLowerCase());
    const page = await this.contacts.list(accountId, { email, listId: query.list_id, status: query.status, cursor: query.cursor, limit: query.limit });
    return { data: page.contacts.map(contactView), next_cursor: page.nextCursor };
  }

  /** The contact with its list memberships and the messages it got (with their events). */
  @Get(':id')
  @ApiDoc({ summary: 'A contact with its memberships and messages', response: contactDetail, errors: [404] })
  async get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    const detail = await this.contacts.get(accountId, id);
    return { ...contactView(detail.contact), memberships: detail.memberships.map(membershipView), messages: detail.messages.map(contactMessageView) };
  }

  /** Attributes merge (a key set to null is removed); status may be set. */
  @Patch(':id')
  @ApiDoc({ summary: 'Change a contact\'s attributes or status', body: patchBody, response: contactSchema, errors: [404, 422] })
  async update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(patchBody)) body: z.infer<typeof patchBody>) {
    return contactView(await this.contacts.update(accountId, id, body));
  }

  /** Erases the contact's personal data (see README, "Erasing a contact"); the row stays so counts add up. */
  @Delete(':id')
  @ApiDoc({ summary: 'Erase a contact\'s personal data', response: contactSchema, errors: [404] })
  async erase(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return contactView(await this.contacts.erase(accountId, id));
  }
}
