import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '@mailroom/config';
import { NestPinoLogger, withRequestId, type Logger } from '@mailroom/logger';
import { Metrics } from '@mailroom/metrics';
import { ApiKeyAuthenticator } from '@mailroom/tenancy';
import { ErrorFilter } from './http/error.filter';
import { TextInputPipe } from './http/text-input.pipe';

/**
 * Builds the HTTP application around a root module (the API alone, or everything in one
 * process): Fastify, JSON errors, request ids and logs, metrics, OpenAPI at /docs.
 */
export async function createHttpApp(root: DynamicModule, config: AppConfig, logger: Logger): Promise<NestFastifyApplication> {
  const httpLogger = logger.child({ component: 'http' });
  const adapter = new FastifyAdapter({
    // Batches of messages with attachments are large; per-message limits are checked later.
    bodyLimit: Math.max(Math.ceil(config.MAX_MESSAGE_SIZE * 1.4), 64 * 1024 * 1024),
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.\-]{1,100}$/.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, { logger: new NestPinoLogger(logger), bodyParser: false });
  app.useGlobalFilters(new ErrorFilter(httpLogger));
  app.useGlobalPipes(new TextInputPipe());

  const metrics = app.get(Metrics);
  const fastify = app.getHttpAdapter().getInstance();
  // `curl -X POST -H 'Content-Type: application/json'` with no body is a normal way to call
  // POST /v1/domains/:id/verify; an empty JSON body means "no body", not a 400.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    parseJson(request, text, done);
  });
  // Everything a request runs (hooks, guards, the handler and the libs it calls) logs under its
  // id, and what it stores for later (a message and its jobs) keeps the id. Reading the body
  // leaves that context, so the handler's hook enters it again.
  fastify.addHook('onRequest', (request, _reply, done) => withRequestId(request.id, done));
  fastify.addHook('preHandler', (request, _reply, done) => withRequestId(request.id, done));
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Bodies under /v1 can be large (MAX_MESSAGE_SIZE); only a caller with a valid key gets one
  // read and parsed. The guard checks again (scopes, X-Account-Id) once the route is known.
  const authenticator = app.get(ApiKeyAuthenticator);
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/') || request.method === 'GET' || request.method === 'DELETE') return;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (match && (await authenticator.authenticate(match[1]!))) return;
    await reply
      .code(401)
      .send({ error: { code: match ? 'invalid_api_key' : 'unauthenticated', message: match ? 'the API key is not valid or was revoked' : 'send your API key as "Authorization: Bearer <key>"' } });
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, seconds);
    if (route !== '/health' && route !== '/metrics') {
      httpLogger.info({ reqId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    }
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Mailroom API')
      .setDescription('Transactional and newsletter sending. Authenticate with "Authorization: Bearer <api key>".')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  // The UI's assets are served through @fastify/static, which nothing imports by name: without it
  // in package.json the API exits at startup ("The @fastify/static package is missing").
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
