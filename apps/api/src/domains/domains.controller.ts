import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainService } from '@mailroom/tenancy';
import { AccountId, Operator } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';

const createDomain = z.object({ name: z.string().min(1).max(253) }).strict();
const updateDomain = z.object({ catch_all_mailbox_id: z.string().uuid().nullable().optional(), bounce_mailbox_id: z.string().uuid().nullable().optional() }).strict();

@ApiTags('domains')
@ApiBearerAuth()
@Controller('v1/domains')
export class DomainsController {
  constructor(private readonly domains: DomainService) {}

  /** Generates the domain's DKIM keys and answers with the DNS records to publish. */
  @Post()
  @JsonBody(createDomain)
  create(@AccountId() accountId: string, @Operator() operator: boolean, @Body(new ZodPipe(createDomain)) body: z.infer<typeof createDomain>) {
    return this.domains.create(accountId, body.name, { operator });
  }

  @Get()
  list(@AccountId() accountId: string) {
    return this.domains.list(accountId);
  }

  @Get(':id')
  get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.domains.get(accountId, id);
  }

  /**
   * Routes the domain's inbound mail: `catch_all_mailbox_id` receives mail for unknown local parts,
   * `bounce_mailbox_id` gets raw bounce and complaint reports in its Bounces folder; null clears.
   */
  @Patch(':id')
  @JsonBody(updateDomain)
  update(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateDomain)) body: z.infer<typeof updateDomain>) {
    return this.domains.setRouting(accountId, id, { catchAllMailboxId: body.catch_all_mailbox_id, bounceMailboxId: body.bounce_mailbox_id });
  }

  /** Looks each record up in DNS now and reports its state. */
  @Post(':id/verify')
  @HttpCode(200)
  verify(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.domains.verify(accountId, id);
  }
}
