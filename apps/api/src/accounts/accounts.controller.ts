import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AccountService } from '@mailroom/tenancy';
import { AccountId, AdminOnly } from '../http/auth';
import { JsonBody, ZodPipe } from '../http/zod';

const createAccount = z.object({ name: z.string().min(1).max(200) }).strict();
const updateAccount = z
  .object({ name: z.string().min(1).max(200).optional(), send_limit_per_hour: z.number().int().min(1).nullable().optional() })
  .strict();
const createKey = z
  .object({ name: z.string().max(200).optional(), scope: z.enum(['account', 'admin']).optional() })
  .strict();

@ApiTags('accounts')
@ApiBearerAuth()
@Controller('v1')
export class AccountsController {
  constructor(private readonly accounts: AccountService) {}

  @Post('accounts')
  @AdminOnly()
  @JsonBody(createAccount)
  createAccount(@Body(new ZodPipe(createAccount)) body: z.infer<typeof createAccount>) {
    return this.accounts.createAccount(body.name);
  }

  @Get('accounts/:id')
  @AdminOnly()
  getAccount(@Param('id', ParseUUIDPipe) id: string) {
    return this.accounts.getAccount(id);
  }

  /** Admin: rename an account, or cap the messages it may send per hour (API and relay together; null lifts it). */
  @Patch('accounts/:id')
  @AdminOnly()
  @JsonBody(updateAccount)
  updateAccount(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(updateAccount)) body: z.infer<typeof updateAccount>) {
    return this.accounts.updateAccount(id, { name: body.name, sendLimitPerHour: body.send_limit_per_hour });
  }

  /** Admin: a key for the named account (scope admin makes an installation-wide admin key). */
  @Post('accounts/:id/api-keys')
  @AdminOnly()
  @JsonBody(createKey)
  createKeyFor(@Param('id', ParseUUIDPipe) id: string, @Body(new ZodPipe(createKey)) body: z.infer<typeof createKey>) {
    return this.accounts.createApiKey(id, { name: body.name, scope: body.scope });
  }

  /** Another key for the caller's own account. */
  @Post('api-keys')
  @JsonBody(createKey.omit({ scope: true }))
  createKey(@AccountId() accountId: string, @Body(new ZodPipe(createKey.omit({ scope: true }))) body: { name?: string }) {
    return this.accounts.createApiKey(accountId, { name: body.name });
  }

  @Get('api-keys')
  listKeys(@AccountId() accountId: string) {
    return this.accounts.listApiKeys(accountId);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  async revokeKey(@AccountId() accountId: string, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.accounts.revokeApiKey(accountId, id);
  }
}
