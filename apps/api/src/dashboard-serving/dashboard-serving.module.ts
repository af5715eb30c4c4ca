import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LOGGER, type Logger } from '@mailroom/logger';
import { dashboardDir, loadAssets, type Asset } from './dashboard-assets';

/**
 * The page's own rules: scripts and connections only to this origin (no CDN, nothing leaves the
 * installation), no framing by other sites. Images may come from anywhere because a campaign's
 * preview shows the images its HTML links to. uPlot sets inline styles.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  'img-src * data: blob:',
  "connect-src 'self'",
  "frame-src 'self' blob: data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

const NOT_BUILT = '<!doctype html><meta charset="utf-8"><title>Mailroom</title><p>The dashboard is not built. Run <code>npm run build</code>.</p>';

/**
 * Serves the dashboard (apps/dashboard, built into dist/dashboard) at `/`: hashed assets under
 * /assets/ cached for good, and index.html for every other page path the browser asks for, so
 * that /messages/<id> opened from a bookmark loads the app. /v1 and non-HTML requests that match
 * no route still get the API's JSON 404.
 */
@Module({})
export class DashboardServingModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || typeof fastify.get !== 'function') return;
    const dir = dashboardDir();
    const assets = dir ? loadAssets(dir) : new Map<string, Asset>();
    if (!dir) this.logger.warn('dashboard not built (run npm run build): / answers a page saying so');
    const index = assets.get('/index.html');

    fastify.get('/assets/*', (request, reply) => {
      const asset = assets.get(pathOf(request.url));
      if (!asset) return notFound(request, reply);
      return send(request, reply, asset, 'public, max-age=31536000, immutable');
    });
    fastify.get('/favicon.svg', (request, reply) => {
      const asset = assets.get('/favicon.svg');
      return asset ? send(request, reply, asset, 'public, max-age=86400') : notFound(request, reply);
    });
    const page = (request: FastifyRequest, reply: FastifyReply) => {
      if (request.url.startsWith('/v1/') || request.url === '/v1' || !acceptsHtml(request)) return notFound(request, reply);
      void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin').header('x-content-type-options', 'nosniff');
      if (!index) return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
      return send(request, reply, index, 'no-cache');
    };
    fastify.get('/', page);
    fastify.get('/*', page);
  }
}

const pathOf = (url: string): string => decodeURIComponent(url.split('?')[0]!);

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

function notFound(request: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${pathOf(request.url)}` } });
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string) {
  void reply.header('cache-control', cacheControl).header('etag', asset.etag).header('vary', 'accept-encoding').type(asset.type);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (asset.brotli && /\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(asset.brotli);
  if (asset.gzip && /\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}
