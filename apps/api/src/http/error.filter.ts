import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorKind } from '@mailroom/common';
import type { Logger } from '@mailroom/logger';

const STATUS: Record<ErrorKind, number> = {
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid',
  429: 'rate_limited',
};

/** Every error leaves the API as { error: { code, message } } with the status that fits it. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    let status = 500;
    let body: { code: string; message: string; details?: unknown } = { code: 'internal_error', message: 'internal error' };
    if (exception instanceof DomainError) {
      status = STATUS[exception.kind];
      body = { code: exception.code, message: exception.message, ...(exception.details ? { details: exception.details } : {}) };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const response = exception.getResponse();
      const given = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
      const message = typeof given.message === 'string' ? given.message : Array.isArray(given.message) ? given.message.join('; ') : exception.message;
      body = { code: typeof given.code === 'string' ? given.code : (CODE_BY_STATUS[status] ?? 'error'), message };
    } else if (isFastifyError(exception)) {
      status = exception.statusCode;
      body = { code: CODE_BY_STATUS[status] ?? 'invalid_request', message: exception.message };
    }
    if (status >= 500) this.logger.error({ err: exception, reqId: request.id, url: request.url }, 'request failed');
    void reply.status(status).send({ error: body });
  }
}

function isFastifyError(error: unknown): error is { statusCode: number; message: string } {
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}
