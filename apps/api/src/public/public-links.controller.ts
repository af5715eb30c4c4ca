import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@mailroom/common';
import { CampaignWebVersion, EngagementRecorder, TrackingTokens, UnsubscribeService, type RequestFacts } from '@mailroom/newsletter';
import { Public } from '../http/auth';
import type { FormFields } from '../http/form-body';
import { donePage, unsubscribePage } from './public-pages';

/** A transparent 1x1 GIF (43 bytes). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NO_STORE = 'no-store, no-cache, must-revalidate, private';

const unknownLink = () => new DomainError('not_found', 'not_found', 'this link is not valid');

function facts(request: FastifyRequest): RequestFacts {
  const agent = request.headers['user-agent'];
  return { method: request.method, ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : undefined };
}

function field(body: FormFields | undefined, name: string): string | undefined {
  const value = body?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The links in broadcast mail, with no API key and no cookies: unsubscribe (RFC 8058 one-click
 * POST, the confirm and preferences page), the open pixel, the click redirect and the web
 * version. A token that is not ours, or altered, is a 404 that says nothing more.
 */
@ApiExcludeController()
@Public()
@Controller()
export class PublicLinksController {
  constructor(
    private readonly unsubscribe: UnsubscribeService,
    private readonly recorder: EngagementRecorder,
    private readonly tracking: TrackingTokens,
    private readonly webVersion: CampaignWebVersion,
  ) {}

  /** The page: confirm button and preferences. A GET (or HEAD) never unsubscribes: scanners prefetch links. */
  @Get('u/:token')
  async unsubscribePage(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const view = await this.unsubscribe.page(token);
    void reply.header('cache-control', NO_STORE).header('x-robots-tag', 'noindex').type('text/html; charset=utf-8').send(unsubscribePage(`/u/${token}`, view));
  }

  /**
   * One click (`List-Unsubscribe=One-Click`, form-urlencoded or multipart, RFC 8058) or the
   * page's button: unsubscribed at once, 200, no redirect. `action=preferences` with `keep`
   * checkboxes saves the preferences form instead.
   */
  @Post('u/:token')
  @HttpCode(200)
  async unsubscribeNow(@Param('token') token: string, @Body() body: FormFields | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const requester = { ip: request.ip ?? null, userAgent: facts(request).userAgent ?? null };
    let message: string;
    if (field(body, 'action') === 'preferences') {
      const raw = body?.keep;
      const keep = (Array.isArray(raw) ? raw : raw ? [raw] : []).filter((id) => /^[0-9a-f-]{36}$/i.test(id)).slice(0, 1000);
      const result = await this.unsubscribe.savePreferences(token, keep, requester);
      message = result.kept || keep.length ? 'Your preferences are saved.' : 'You are unsubscribed from every list.';
    } else {
      await this.unsubscribe.unsubscribe(token, field(body, 'via') === 'page' ? 'page' : 'one_click', requester);
      message = 'You are unsubscribed.';
    }
    void reply.status(200).header('cache-control', NO_STORE).type('text/html; charset=utf-8').send(donePage(message));
  }

  /** The open pixel; a HEAD is answered alike and recorded as a machine's. */
  @Get('t/o/:token')
  openPixel(@Param('token') token: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const recipientId = this.tracking.parseOpen(token);
    if (!recipientId) throw unknownLink();
    this.recorder.open(recipientId, facts(request));
    void reply.header('cache-control', NO_STORE).header('expires', '0').type('image/gif').send(PIXEL);
  }

  /** 302 to the URL signed into the token, and nowhere else (GET and HEAD). */
  @Get('t/c/:token')
  click(@Param('token') token: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const target = this.tracking.parseClick(token);
    if (!target) throw unknownLink();
    this.recorder.click(target, facts(request));
    void reply.status(302).header('location', target.url).header('cache-control', NO_STORE).header('referrer-policy', 'no-referrer').send();
  }

  /** The campaign as this contact's copy shows it, without tracking. */
  @Get('w/:token')
  async web(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const target = this.tracking.parseWebVersion(token);
    if (!target) throw unknownLink();
    const version = await this.webVersion.render(target.accountId, target.campaignId, target.contactId);
    if (!version) throw unknownLink();
    void reply.header('cache-control', 'private, max-age=300').header('x-robots-tag', 'noindex').type('text/html; charset=utf-8').send(version.html);
  }
}
