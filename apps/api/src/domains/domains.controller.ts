import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainService } from '@mailroom/tenancy';
import { AccountId, Operator } from '../http/auth';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';
import { createDomain, domainView, updateDomain, verifiedDomain } from './domain.schema';

@ApiTags('domains')
@Controller('v1/domains')
export class DomainsController {
  constructor(private readonly domains: DomainService) {}

  /** Generates the domain's DKIM keys and answers with the DNS records to publish. */
  @Post()
  @ApiDoc({ summary: 'Add a sending domain', description: 'Generates its DKIM keys; `dns` lists the records to publish, `ownership.record` the one that proves the domain yours.', body: createDomain, response: domainView, status: 201, errors: [409, 422] })
  create(@AccountId() accountId: string, @Operator() operator: boolean, @Body(new ZodPipe(createDomain)) body: z.infer<typeof createDomain>) {
    return this.domains.create(accountId, body.name, { operator });
  }

  @Get()
  @ApiDoc({ summary: 'List your domains', response: z.array(domainView) })
  list(@AccountId() accountId: string) {
    return this.domains.list(accountId);
  }

  @Get(':id')
  @ApiDoc({ summary: 'Read a domain with its records and their state', response: domainView, errors: [404] })
  get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.domains.get(accountId, id);
  }

  /**
   * Routes the domain's inbound mail: `catch_all_mailbox_id` receives mail for unknown local parts,
   * `bounce_mailbox_id` gets raw bounce and complaint reports in its Bounces folder; null clears.
   */
  @Patch(':id')
  @ApiDoc({ summary: 'Route the domain\'s inbound mail (catch-all and bounce mailboxes)', body: updateDomain, response: domainView, errors: [404, 422] })
  update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateDomain)) body: z.infer<typeof updateDomain>) {
    return this.domains.setRouting(accountId, id, { catchAllMailboxId: body.catch_all_mailbox_id, bounceMailboxId: body.bounce_mailbox_id });
  }

  /** Looks each record up in DNS now and reports its state. */
  @Post(':id/verify')
  @HttpCode(200)
  @ApiDoc({ summary: 'Look the domain\'s records up in DNS now', response: verifiedDomain, errors: [404, 409, 503] })
  verify(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.domains.verify(accountId, id);
  }
}
