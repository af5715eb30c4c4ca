import { isIP } from 'node:net';
import { Agent, errors, type Dispatcher } from 'undici';
import { DomainError } from '@mailroom/common';
import type { AddressGuard } from './address-guard';
import { signatureHeader } from './webhook-secret';

/** One attempt to send: where, under which webhook-id, what body, signed with which keys. */
export interface WebhookRequest {
  url: string;
  /** webhook-id: the event's id, the same on every attempt. */
  id: string;
  body: string;
  /** Current secret's key first; the previous one too during a rotation. */
  keys: Buffer[];
}

export type AttemptOutcome =
  | { kind: 'success'; status: number; response: string; durationMs: number }
  | { kind: 'http'; status: number; response: string; durationMs: number; retryAfterSeconds?: number }
  | { kind: 'timeout' | 'network' | 'refused'; error: string; durationMs: number };

/** How much of an answer is kept for the log, and read at most (the rest closes the connection). */
const KEEP_BYTES = 1024;
const READ_BYTES = 64 * 1024;

/**
 * Sends Standard Webhooks requests over kept-alive connections (undici), each attempt signed
 * afresh with its own webhook-timestamp. No redirect is followed (a 3xx is a failure), an
 * attempt has `timeoutMs` in all, and every new connection goes to addresses the guard checked.
 */
export class WebhookSender {
  private readonly agent: Agent;

  constructor(
    private readonly guard: AddressGuard,
    private readonly options: { timeoutMs: number; connectionsPerOrigin?: number; userAgent?: string },
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      connections: options.connectionsPerOrigin ?? 64,
      connect: { lookup: guard.lookup, timeout: options.timeoutMs },
    });
  }

  async send(request: WebhookRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = new URL(request.url);
      // An address literal never goes through `lookup`: check it here.
      if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) await this.guard.resolve(url.hostname);
    } catch (error) {
      return { kind: 'refused', error: describe(error), durationMs: elapsed() };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.options.userAgent ?? 'Mailroom-Webhooks/1',
      'webhook-id': request.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(request.id, timestamp, request.body, request.keys),
    };
    if (url.username || url.password) {
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    return this.post(url, headers, request.body, elapsed);
  }

  /**
   * The request through undici's dispatcher with a handler of our own: the answer's first bytes
   * are kept as they arrive, with no stream or async iterator per request (at thousands of
   * attempts a second those were a third of the sender's CPU). One timer bounds the attempt.
   */
  private post(url: URL, headers: Record<string, string>, body: string, elapsed: () => number): Promise<AttemptOutcome> {
    const { timeoutMs } = this.options;
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      let controller: Dispatcher.DispatchController | undefined;
      let status = 0;
      let retryAfter: string | string[] | undefined;
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let read = 0;
      const answered = (): AttemptOutcome => {
        const response = Buffer.concat(kept).toString('utf8');
        if (status >= 200 && status < 300) return { kind: 'success', status, response, durationMs: elapsed() };
        const seconds = status === 429 || status === 502 || status === 503 || status === 504 ? parseRetryAfter(retryAfter) : undefined;
        return { kind: 'http', status, response, durationMs: elapsed(), ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }) };
      };
      const finish = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timedOut = () => ({ kind: 'timeout', error: `no answer within ${timeoutMs / 1000} s`, durationMs: elapsed() }) as const;
      const timer = setTimeout(() => {
        finish(timedOut());
        // Not yet on a connection: the handler refuses to start it when its turn comes.
        controller?.abort(new errors.RequestAbortedError('attempt timed out'));
      }, timeoutMs);
      this.agent.dispatch(
        { origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
        {
          onRequestStart(c) {
            controller = c;
            if (settled) c.abort(new errors.RequestAbortedError('attempt timed out'));
          },
          onResponseStart(_c, statusCode, responseHeaders) {
            status = statusCode;
            retryAfter = responseHeaders['retry-after'];
          },
          onResponseData(c, chunk) {
            if (keptBytes < KEEP_BYTES) {
              kept.push(chunk.subarray(0, KEEP_BYTES - keptBytes));
              keptBytes += Math.min(chunk.length, KEEP_BYTES - keptBytes);
            }
            read += chunk.length;
            // Reading on would hold the connection; the answer so far is what is kept anyway.
            if (read > READ_BYTES) {
              finish(answered());
              c.abort(new errors.RequestAbortedError('answer longer than kept'));
            }
          },
          onResponseEnd() {
            finish(answered());
          },
          onResponseError(_c, error) {
            if (settled) return;
            if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError) return finish(timedOut());
            const code = (error as { code?: string }).code;
            finish({ kind: code === 'EREFUSEDADDRESS' ? 'refused' : 'network', error: describe(error), durationMs: elapsed() });
          },
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Retry-After as seconds from now: a number of seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function describe(error: unknown): string {
  if (error instanceof DomainError) return error.message;
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
