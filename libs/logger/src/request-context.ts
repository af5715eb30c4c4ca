import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The correlation id of the work in progress (an HTTP request, an SMTP or IMAP session, a job),
 * carried through async calls so libs need not pass it along: the logger adds it to every line
 * logged inside, and code that stores work for later (a message, its jobs) can keep it.
 */
const storage = new AsyncLocalStorage<{ requestId: string }>();

/** Runs `fn` (and everything it starts) under `requestId`. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** The request id of the work in progress, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
