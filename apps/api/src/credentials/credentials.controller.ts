import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CredentialService } from '@mailroom/tenancy';
import { AccountId } from '../http/auth';
import { ApiDoc, timestamp } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const createCredential = z.object({ username: z.string().optional(), password: z.string().optional() }).strict();
const credentialView = z.object({ id: z.string().uuid(), username: z.string(), created_at: timestamp, last_used_at: timestamp.nullable() });
const createdCredential = z.object({ id: z.string().uuid(), username: z.string(), password: z.string().describe('shown this once'), created_at: timestamp });

@ApiTags('credentials')
@Controller('v1')
export class CredentialsController {
  constructor(private readonly credentials: CredentialService) {}

  /** SMTP relay login; the password is shown once. */
  @Post('smtp-credentials')
  @ApiDoc({ summary: 'Create an SMTP relay login', description: 'The password is in the answer, and only there.', body: createCredential, response: createdCredential, status: 201, errors: [409, 422] })
  createSmtp(@AccountId() accountId: string, @Body(new ZodPipe(createCredential)) body: z.infer<typeof createCredential>) {
    return this.credentials.createSmtpCredential(accountId, body);
  }

  @Get('smtp-credentials')
  @ApiDoc({ summary: 'List SMTP relay logins', response: z.array(credentialView) })
  listSmtp(@AccountId() accountId: string) {
    return this.credentials.listSmtpCredentials(accountId);
  }

  @Delete('smtp-credentials/:id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Delete an SMTP relay login', errors: [404] })
  async deleteSmtp(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.credentials.deleteSmtpCredential(accountId, id);
  }
}
