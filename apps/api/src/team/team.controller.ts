import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { UserService, type Role } from '@mailroom/users';
import { AccountId, CallerRole } from '../http/auth';
import { ApiDoc, timestamp } from '../http/openapi';
import { ZodPipe } from '../http/zod';

const role = z.enum(['owner', 'member', 'viewer']);
const inviteSchema = z.object({ email: z.string().min(3).max(320), role }).strict();
const updateSchema = z.object({ role }).strict();
const memberView = z.object({ user_id: z.string().uuid(), email: z.string(), role, active: z.boolean().describe('false until an invited user chooses a password'), created_at: timestamp });
const invitedView = z.object({ user_id: z.string().uuid(), email: z.string(), role, invited: z.boolean().describe('true when a link to choose a password was mailed') });

/** Who may open the account in the dashboard, and with which role. Owners change it. */
@ApiTags('team')
@Controller('v1/team')
export class TeamController {
  constructor(private readonly users: UserService) {}

  @Get()
  @ApiDoc({ summary: 'List the account\'s users and their roles', response: z.object({ data: z.array(memberView) }) })
  async list(@AccountId() accountId: string) {
    const members = await this.users.team(accountId);
    return { data: members.map((m) => ({ user_id: m.userId, email: m.email, role: m.role, active: m.active, created_at: m.createdAt })) };
  }

  /** Adds a person with a role and mails them (a link to choose a password if they have no login). */
  @Post('invites')
  @HttpCode(201)
  @ApiDoc({ summary: 'Invite a person by mail (owners)', body: inviteSchema, response: invitedView, status: 201, errors: [422, 503] })
  async invite(@AccountId() accountId: string, @CallerRole() caller: Role, @Body(new ZodPipe(inviteSchema)) body: z.infer<typeof inviteSchema>) {
    const invited = await this.users.invite(accountId, caller, body.email, body.role);
    return { user_id: invited.userId, email: invited.email, role: invited.role, invited: invited.invited };
  }

  @Patch(':userId')
  @HttpCode(204)
  @ApiDoc({ summary: 'Change a member\'s role (owners)', body: updateSchema, errors: [404, 409] })
  async update(@AccountId() accountId: string, @CallerRole() caller: Role, @Param('userId', ParseUUIDPipe) userId: string, @Body(new ZodPipe(updateSchema)) body: z.infer<typeof updateSchema>): Promise<void> {
    await this.users.setRole(accountId, caller, userId, body.role);
  }

  @Delete(':userId')
  @HttpCode(204)
  @ApiDoc({ summary: 'Remove a member (owners)', errors: [404, 409] })
  async remove(@AccountId() accountId: string, @CallerRole() caller: Role, @Param('userId', ParseUUIDPipe) userId: string): Promise<void> {
    await this.users.removeMember(accountId, caller, userId);
  }
}
