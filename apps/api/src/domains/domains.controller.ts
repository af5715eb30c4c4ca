import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DomainService } from '@mailroom/tenancy';
import { AccountId } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';

const createDomain = z.object({ name: z.string().min(1).max(253) }).strict();

@ApiTags('domains')
@ApiBearerAuth()
@Controller('v1/domains')
export class DomainsController {
  constructor(private readonly domains: DomainService) {}

  /** Generates the domain's DKIM keys and answers with the DNS records to publish. */
  @Post()
  @JsonBody(createDomain)
  create(@AccountId() accountId: string, @Body(new ZodPipe(createDomain)) body: z.infer<typeof createDomain>) {
    return this.domains.create(accountId, body.name);
  }

  @Get()
  list(@AccountId() accountId: string) {
    return this.domains.list(accountId);
  }

  @Get(':id')
  get(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.domains.get(accountId, id);
  }

  /** Looks each record up in DNS now and reports its state. */
  @Post(':id/verify')
  @HttpCode(200)
  verify(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.domains.verify(accountId, id);
  }
}
