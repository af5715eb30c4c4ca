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
import { UserService } from '@mailroom/users';
import { bodyGate } from './auth/body-gate';
import { ErrorFilter } from './http/error.filter';
import { registerCsvParser } from './imports/csv-body';
import { finishDocument } from './http/openapi';
import { registerFormParsers } from './http/form-body';
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
    // Link tokens are path parameters: an unsubscribe token is up to 104 characters, a click
    // token carries its URL (Fastify's default limit is 100).
    routerOptions: { maxParamLength: 4096 },
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
  // HTML forms: the one-click unsubscribe POST (RFC 8058) and the public pages' forms.
  registerFormParsers(fastify);
  registerCsvParser(fastify);
  // Everything a request runs (hooks, guards, the handler and the libs it calls) logs under its
  // id, and what it stores for later (a message and its jobs) keeps the id. Reading the body
  // leaves that context, so the handler's hook enters it again.
  fastify.addHook('onRequest', (request, _reply, done) => withRequestId(request.id, done));
  fastify.addHook('preHandler', (request, _reply, done) => withRequestId(request.id, done));
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Bodies under /v1 can be large (MAX_MESSAGE_SIZE): only a valid key or session gets one read.
  fastify.addHook('onRequest', bodyGate(app.get(ApiKeyAuthenticator), app.get(UserService)));
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, seconds);
    if (route !== '/health' && route !== '/metrics') {
      httpLogger.info({ reqId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    }
  });

  const document = finishDocument(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Mailroom API')
        .setDescription('Transactional and newsletter sending. Authenticate with "Authorization: Bearer <api key>", or sign in to the dashboard (session cookie).')
        .setVersion('1')
        .build(),
    ),
    config.PUBLIC_URL,
  );
  // The UI's assets are served through @fastify/static, which nothing imports by name: without it
  // in package.json the API exits at startup ("The @fastify/static package is missing").
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
