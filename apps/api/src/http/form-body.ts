import busboy from 'busboy';
import type { FastifyInstance } from 'fastify';

/** A form's fields: a name given once is a string, given several times (checkboxes) an array. */
export type FormFields = Record<string, string | string[]>;

/** Forms are a few fields (one-click unsubscribe, preferences, subscription forms): small on purpose. */
const FORM_LIMIT = 64 * 1024;

const tooLarge = () => Object.assign(new Error('the form is too large'), { statusCode: 413 });
const malformed = (message: string) => Object.assign(new Error(message), { statusCode: 400 });

function add(fields: FormFields, name: string, value: string): void {
  const seen = fields[name];
  if (seen === undefined) fields[name] = value;
  else if (Array.isArray(seen)) seen.push(value);
  else fields[name] = [seen, value];
}

/**
 * HTML form bodies for the public endpoints (RFC 8058 one-click unsubscribe is form-urlencoded
 * or multipart/form-data): fields only, files refused, 64 KiB at most. Registered once, whoever
 * asks first.
 */
export function registerFormParsers(fastify: FastifyInstance): void {
  if (!fastify.hasContentTypeParser('application/x-www-form-urlencoded')) {
    fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
      const fields: FormFields = Object.create(null) as FormFields;
      for (const [name, value] of new URLSearchParams(body as string)) add(fields, name, value);
      done(null, fields);
    });
  }
  if (!fastify.hasContentTypeParser('multipart/form-data')) {
    fastify.addContentTypeParser('multipart/form-data', (request, payload, done) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: request.headers, limits: { fieldNameSize: 200, fieldSize: FORM_LIMIT, fields: 200, files: 0, parts: 200 } });
      } catch (error) {
        return done(malformed((error as Error).message), undefined);
      }
      const fields: FormFields = Object.create(null) as FormFields;
      let size = 0;
      let finished = false;
      const finish = (error: Error | null) => {
        if (finished) return;
        finished = true;
        payload.unpipe(parser);
        if (error) payload.resume();
        done(error, error ? undefined : fields);
      };
      payload.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > FORM_LIMIT) finish(tooLarge());
      });
      parser.on('field', (name, value, info) => {
        if (info.valueTruncated || info.nameTruncated) return finish(tooLarge());
        add(fields, name, value);
      });
      parser.on('file', (_name, file) => file.resume());
      parser.on('filesLimit', () => finish(malformed('files are not accepted here')));
      parser.on('fieldsLimit', () => finish(tooLarge()));
      parser.on('partsLimit', () => finish(tooLarge()));
      parser.on('error', (error: Error) => finish(malformed(error.message)));
      parser.on('close', () => finish(null));
      payload.on('error', (error: Error) => finish(error));
      payload.pipe(parser);
    });
  }
}
