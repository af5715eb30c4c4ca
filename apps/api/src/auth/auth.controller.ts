import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '@mailroom/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { UserService, csrfTokenFor, type AccountChoice, type UserView } from '@mailroom/users';
import { Public } from '../http/auth';
import { ApiDoc } from '../http/openapi';
import { ZodPipe } from '../http/zod';
import { clearSessionCookie, liveSession, requireCsrf, sessionToken, setSessionCookie } from './session-cookie';

const loginSchema = z.object({ email: z.string().min(3).max(320), password: z.string().min(1).max(256) }).strict();
const resetSchema = z.object({ email: z.string().min(3).max(320) }).strict();
const setPasswordSchema = z.object({ token: z.string().min(1).max(100), password: z.string().min(1).max(256) }).strict();
const changePasswordSchema = z.object({ current_password: z.string().min(1).max(256), new_password: z.string().min(1).max(256) }).strict();

const role = z.enum(['owner', 'member', 'viewer']);
const sessionSchema = z.object({
  user: z.object({ id: z.string().uuid(), email: z.string(), admin: z.boolean().describe('sees every account') }),
  accounts: z.array(z.object({ id: z.string().uuid(), name: z.string(), role })).describe('the accounts the user may open, with their role'),
  csrf_token: z.string().describe('send it as X-CSRF-Token with every write'),
});

const sessionView = (user: UserView, accounts: AccountChoice[], csrfToken: string) => ({ user, accounts, csrf_token: csrfToken });

/**
 * Signing in to the dashboard. These routes are public to the API key guard: each checks the
 * session cookie itself, and writes on a live session need its CSRF token like any other.
 */
@ApiTags('auth')
@Public()
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly users: UserService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Email and password: sets the HttpOnly session cookie and answers the CSRF token for writes. */
  @Post('login')
  @HttpCode(200)
  @ApiDoc({ summary: 'Sign in to the dashboard', description: 'Sets the HttpOnly session cookie. Failed sign-ins are limited per address and source (429).', body: loginSchema, response: sessionSchema, public: true, errors: [401, 413, 429] })
  async login(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body(new ZodPipe(loginSchema)) body: z.infer<typeof loginSchema>) {
    const signedIn = await this.users.login(body.email, body.password, { ip: request.ip, userAgent: request.headers['user-agent'] ?? null });
    setSessionCookie(request, reply, this.config, signedIn.token);
    return sessionView(signedIn.user, signedIn.accounts, signedIn.csrfToken);
  }

  /** Who is signed in, the accounts they may open (with their role) and the session's CSRF token. */
  @Get('session')
  @ApiDoc({ summary: 'The signed-in user, their accounts and the CSRF token', response: sessionSchema, public: true, errors: [401] })
  async session(@Req() request: FastifyRequest) {
    const { token, session } = await this.current(request);
    return sessionView(session.user, await this.users.accountsFor(session.user), csrfTokenFor(token));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiDoc({ summary: 'Sign out this browser', public: true, errors: [401, 403] })
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const { session } = await this.current(request, true);
    await this.users.logout(session.sessionId);
    clearSessionCookie(request, reply, this.config);
  }

  /** Ends every session of the signed-in user, on every browser, this one included. */
  @Post('logout-everywhere')
  @HttpCode(204)
  @ApiDoc({ summary: 'Sign out every browser of the user', public: true, errors: [401, 403] })
  async logoutEverywhere(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const { session } = await this.current(request, true);
    await this.users.logoutEverywhere(session.user.id);
    clearSessionCookie(request, reply, this.config);
  }

  @Post('change-password')
  @HttpCode(204)
  @ApiDoc({ summary: 'Change the signed-in user\'s password', body: changePasswordSchema, public: true, errors: [401, 403, 422] })
  async changePassword(@Req() request: FastifyRequest, @Body(new ZodPipe(changePasswordSchema)) body: z.infer<typeof changePasswordSchema>): Promise<void> {
    const { session } = await this.current(request, true);
    await this.users.changePassword(session.user.id, body.current_password, body.new_password);
  }

  /** Mails a reset link if the address has a login; answers the same either way. */
  @Post('password-reset')
  @HttpCode(202)
  @ApiDoc({ summary: 'Mail a password-reset link', description: 'Answers the same whether or not the address has a login. 503 mail_not_configured without SYSTEM_MAIL_FROM.', body: resetSchema, response: z.object({ status: z.string() }), status: 202, public: true, errors: [413, 429, 503] })
  async requestReset(@Req() request: FastifyRequest, @Body(new ZodPipe(resetSchema)) body: z.infer<typeof resetSchema>) {
    await this.users.requestPasswordReset(body.email, request.ip);
    return { status: 'sent if the address has a login' };
  }

  /** Chooses a password from a mailed link (an invitation or a reset); signs out the user's sessions. */
  @Post('set-password')
  @HttpCode(204)
  @ApiDoc({ summary: 'Choose a password from a mailed link (invitation or reset)', body: setPasswordSchema, public: true, errors: [413, 422] })
  async setPassword(@Body(new ZodPipe(setPasswordSchema)) body: z.infer<typeof setPasswordSchema>): Promise<void> {
    await this.users.setPasswordWithToken(body.token, body.password);
  }

  private async current(request: FastifyRequest, write = false) {
    const token = sessionToken(request);
    const session = token ? await liveSession(request, this.users, token) : null;
    if (!token || !session) throw new DomainError('unauthenticated', 'unauthenticated', 'not signed in');
    if (write) requireCsrf(request, token);
    return { token, session };
  }
}
