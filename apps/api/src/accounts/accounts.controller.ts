import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AccountService } from '@mailroom/tenancy';
import { AccountId, AdminOnly } from '../http/auth';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';
import { accountView, apiKeyView, createAccount, createKey, createOwnKey, createdAccount, createdKey, updateAccount } from './account.schema';

@ApiTags('accounts')
@Controller('v1')
export class AccountsController {
  constructor(private readonly accounts: AccountService) {}

  @Post('accounts')
  @AdminOnly()
  @ApiDoc({ summary: 'Create an account (admin)', body: createAccount, response: createdAccount, status: 201 })
  createAccount(@Body(new ZodPipe(createAccount)) body: z.infer<typeof createAccount>) {
    return this.accounts.createAccount(body.name, body.email);
  }

  @Get('accounts/:id')
  @AdminOnly()
  @ApiDoc({ summary: 'Read an account (admin)', response: accountView, errors: [404] })
  getAccount(@Param('id', ParseUUIDPipe) id: string) {
    return this.accounts.getAccount(id);
  }

  /** Admin: rename an account, or cap the messages it may send per hour (API and relay together; null lifts it). */
  @Patch('accounts/:id')
  @AdminOnly()
  @ApiDoc({ summary: 'Rename an account or cap its hourly sending (admin)', body: updateAccount, response: accountView, errors: [404] })
  updateAccount(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateAccount)) body: z.infer<typeof updateAccount>) {
    return this.accounts.updateAccount(id, { name: body.name, sendLimitPerHour: body.send_limit_per_hour, email: body.email });
  }

  /** Admin: a key for the named account (scope admin makes an installation-wide admin key). */
  @Post('accounts/:id/api-keys')
  @AdminOnly()
  @ApiDoc({ summary: 'Create an API key for an account (admin)', body: createKey, response: createdKey, status: 201, errors: [404] })
  createKeyFor(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(createKey)) body: z.infer<typeof createKey>) {
    return this.accounts.createApiKey(id, { name: body.name, scope: body.scope });
  }

  /** Another key for the caller's own account. */
  @Post('api-keys')
  @ApiDoc({ summary: 'Create another API key for your account', description: 'The key is in the answer, and only there.', body: createOwnKey, response: createdKey, status: 201 })
  createKey(@AccountId() accountId: string, @Body(new ZodPipe(createOwnKey)) body: z.infer<typeof createOwnKey>) {
    return this.accounts.createApiKey(accountId, { name: body.name });
  }

  @Get('api-keys')
  @ApiDoc({ summary: 'List your account\'s API keys', response: z.array(apiKeyView) })
  listKeys(@AccountId() accountId: string) {
    return this.accounts.listApiKeys(accountId);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiDoc({ summary: 'Revoke an API key', errors: [404] })
  async revokeKey(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.accounts.revokeApiKey(accountId, id);
  }
}
