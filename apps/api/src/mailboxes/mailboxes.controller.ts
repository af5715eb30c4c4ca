import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MailboxService } from '@mailroom/tenancy';
import { AccountId } from '../http/auth';
import { ApiDoc, timestamp } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const createMailbox = z.object({ address: z.string().min(3).max(320), password: z.string().optional() }).strict();
const mailboxView = z.object({ id: z.string().uuid(), address: z.string(), created_at: timestamp });
const mailboxDetail = mailboxView.extend({ folders: z.array(z.string()) });
const createdMailbox = mailboxDetail.extend({ password: z.string().optional().describe('the generated password, shown this once') });

@ApiTags('mailboxes')
@Controller('v1')
export class MailboxesController {
  constructor(private readonly mailboxes: MailboxService) {}

  /** An IMAP mailbox on one of the account's domains. */
  @Post('mailboxes')
  @ApiDoc({ summary: 'Create an IMAP mailbox on one of your domains', body: createMailbox, response: createdMailbox, status: 201, errors: [409, 422] })
  createMailbox(@AccountId() accountId: string, @Body(new ZodPipe(createMailbox)) body: z.infer<typeof createMailbox>) {
    return this.mailboxes.createMailbox(accountId, body);
  }

  @Get('mailboxes')
  @ApiDoc({ summary: 'List mailboxes', response: z.array(mailboxView) })
  listMailboxes(@AccountId() accountId: string) {
    return this.mailboxes.listMailboxes(accountId);
  }

  @Get('mailboxes/:id')
  @ApiDoc({ summary: 'Read a mailbox and its folders', response: mailboxDetail, errors: [404] })
  getMailbox(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string) {
    return this.mailboxes.getMailbox(accountId, id);
  }

  @Delete('mailboxes/:id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Delete a mailbox and its mail', errors: [404] })
  async deleteMailbox(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.mailboxes.deleteMailbox(accountId, id);
  }
}
