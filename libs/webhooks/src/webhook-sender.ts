import { isIP } from 'node:net';
import { Agent, errors } from 'undici';
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
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const answer = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        body: request.body,
        signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      const response = await readStart(answer.body);
      const status = answer.statusCode;
      if (status >= 200 && status < 300) return { kind: 'success', status, response, durationMs: elapsed() };
      const retryAfter = status === 429 || status === 502 || status === 503 || status === 504 ? parseRetryAfter(answer.headers['retry-after']) : undefined;
      return { kind: 'http', status, response, durationMs: elapsed(), ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) };
    } catch (error) {
      if (signal.aborted || error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError || error instanceof errors.ConnectTimeoutError) {
        return { kind: 'timeout', error: `no answer within ${this.options.timeoutMs / 1000} s`, durationMs: elapsed() };
      }
      const code = (error as { code?: string }).code;
      if (code === 'EREFUSEDADDRESS') return { kind: 'refused', error: describe(error), durationMs: elapsed() };
      return { kind: 'network', error: describe(error), durationMs: elapsed() };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The first KEEP_BYTES of the answer as text; reads on to READ_BYTES so the connection can be reused. */
async function readStart(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let read = 0;
  for await (const chunk of body) {
    if (keptBytes < KEEP_BYTES) {
      kept.push(chunk.subarray(0, KEEP_BYTES - keptBytes));
      keptBytes += Math.min(chunk.length, KEEP_BYTES - keptBytes);
    }
    read += chunk.length;
    if (read > READ_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(kept).toString('utf8');
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
