import type { FastifyInstance } from 'fastify';

/**
 * CSV uploads (POST /v1/imports) reach their handler unread: the importer streams the body, so a
 * file of any size never sits in memory, and IMPORT_MAX_BYTES applies as it is read.
 */
export function registerCsvParser(fastify: FastifyInstance): void {
  for (const type of ['text/csv', 'application/csv']) {
    if (!fastify.hasContentTypeParser(type)) fastify.addContentTypeParser(type, (_request, payload, done) => done(null, payload));
  }
}
