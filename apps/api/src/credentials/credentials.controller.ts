import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CredentialService } from '@mailroom/tenancy';
import { AccountId } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';

const createCredential = z.object({ username: z.string().optional(), password: z.string().optional() }).strict();

@ApiTags('credentials')
@ApiBearerAuth()
@Controller('v1')
export class CredentialsController {
  constructor(private readonly credentials: CredentialService) {}

  /** SMTP relay login; the password is shown once. */
  @Post('smtp-credentials')
  @JsonBody(createCredential)
  createSmtp(@AccountId() accountId: string, @Body(new ZodPipe(createCredential)) body: z.infer<typeof createCredential>) {
    return this.credentials.createSmtpCredential(accountId, body);
  }

  @Get('smtp-credentials')
  listSmtp(@AccountId() accountId: string) {
    return this.credentials.listSmtpCredentials(accountId);
  }

  @Delete('smtp-credentials/:id')
  @HttpCode(204)
  async deleteSmtp(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.credentials.deleteSmtpCredential(accountId, id);
  }
}
