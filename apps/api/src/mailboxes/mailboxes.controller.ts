import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MailboxService } from '@mailroom/tenancy';
import { AccountId } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';

const createMailbox = z.object({ address: z.string().min(3).max(320), password: z.string().optional() }).strict();

@ApiTags('mailboxes')
@ApiBearerAuth()
@Controller('v1')
export class MailboxesController {
  constructor(private readonly mailboxes: MailboxService) {}

  /** An IMAP mailbox on one of the account's domains. */
  @Post('mailboxes')
  @JsonBody(createMailbox)
  createMailbox(@AccountId() accountId: string, @Body(new ZodPipe(createMailbox)) body: z.infer<typeof createMailbox>) {
    return this.mailboxes.createMailbox(accountId, body);
  }

  @Get('mailboxes')
  listMailboxes(@AccountId() accountId: string) {
    return this.mailboxes.listMailboxes(accountId);
  }

  @Get('mailboxes/:id')
  getMailbox(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.mailboxes.getMailbox(accountId, id);
  }

  @Delete('mailboxes/:id')
  @HttpCode(204)
  async deleteMailbox(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.mailboxes.deleteMailbox(accountId, id);
  }
}
