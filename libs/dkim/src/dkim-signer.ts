import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DomainError } from '@mailroom/common';
import type { SecretBox } from '@mailroom/crypto';
import { foldSignatures, relaxedSignatures } from './relaxed-signer';
import type { OpenSigningKey } from './signature-lines';
import type { SignRequest, SignResponse } from './signing-thread';

export interface SigningKey {
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  privateKeyEncrypted: string;
}

export interface DkimSignerOptions {
  /**
   * Threads that sign beside the event loop (DKIM_SIGNING_THREADS). Signing is most of a
   * delivery's CPU, so with threads the worker's loop keeps claiming, sending and recording while
   * the other cores sign. 0 signs on the event loop.
   */
  threads?: number;
  /** Told when a signing thread dies or hangs, and when the signer gives threads up. */
  onThreadError?: (error: Error) => void;
  /** The threads' script; tests point it elsewhere. */
  threadScript?: string;
}

interface SigningThread {
  worker: Worker;
  pending: Map<number, { resolve: (signatures: string) => void; reject: (error: Error) => void; at: number }>;
  /** It has signed something: it started, so its death is the message's fault, not the setup's. */
  answered: boolean;
}

/** A signature that takes longer than this means a stuck thread: it is replaced. */
const SIGN_TIMEOUT_MS = 30_000;
/** Threads that die this many times in a row before signing anything are given up. */
const MAX_START_FAILURES = 3;

/**
 * Signs outgoing mail with every active key of the sending domain (RSA-2048, and Ed25519 as a
 * second signature, RFC 8463), with relaxed-signer.ts, on the event loop or in signing threads.
 * Keys are decrypted once per process and kept in memory.
 */
export class DkimSigner {
  private readonly keys = new Map<string, string>();
  private readonly threads: SigningThread[] = [];
  private nextId = 0;
  private closed = false;
  private startFailures = 0;
  private readonly watchdog?: NodeJS.Timeout;

  constructor(
    private readonly box: SecretBox,
    private readonly options: DkimSignerOptions = {},
  ) {
    for (let i = 0; i < (options.threads ?? 0); i++) this.threads.push(this.startThread());
    if (this.threads.length) {
      this.watchdog = setInterval(() => this.replaceStuckThreads(), SIGN_TIMEOUT_MS / 6);
      this.watchdog.unref();
    }
  }

  /** The DKIM-Signature header lines to put in front of the message (CRLF-terminated). */
  async signatures(message: Buffer, domain: string, keys: SigningKey[]): Promise<string> {
    // Mail from Mailroom is always signed: without a key it waits (and is retried) rather than leave unsigned.
    // 'unavailable': the key may be made or activated in a moment; the delivery is retried, not failed.
    if (!keys.length) throw new DomainError('unavailable', 'dkim_key_missing', `${domain} has no active DKIM key`, { domain });
    const open = keys.map((key): OpenSigningKey => ({ selector: key.selector, algorithm: key.algorithm, privateKeyPem: this.key(key) }));
    if (!this.threads.length) return relaxedSignatures(message, domain, open);
    // The least busy thread: a slow message must not queue others behind it.
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject, at: performance.now() });
      try {
        thread.worker.postMessage({ id, message, domain, keys: open } satisfies SignRequest);
      } catch (error) {
        thread.pending.delete(id);
        reject(error as Error);
      }
    });
  }

  async sign(message: Buffer, domain: string, keys: SigningKey[]): Promise<Buffer> {
    return Buffer.concat([Buffer.from(await this.signatures(message, domain, keys)), message]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }

  private startThread(): SigningThread {
    const thread: SigningThread = { worker: new Worker(this.options.threadScript ?? threadScript()), pending: new Map(), answered: false };
    thread.worker.unref();
    thread.worker.on('message', (response: SignResponse) => {
      thread.answered = true;
      this.startFailures = 0;
      const pending = thread.pending.get(response.id);
      thread.pending.delete(response.id);
      if ('error' in response) pending?.reject(new Error(response.error));
      else pending?.resolve(foldSignatures(response.lines));
    });
    // A thread that dies fails what it held (those deliveries are deferred and retried) and is
    // replaced, so signing never stops for good. Threads that cannot even start (their script
    // missing or broken) are given up after a few tries, and signing goes on on the event loop.
    let ended = false;
    const end = (error: Error) => {
      if (ended) return;
      ended = true;
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
      const at = this.threads.indexOf(thread);
      if (at < 0 || this.closed) return;
      this.options.onThreadError?.(error);
      if (!thread.answered && ++this.startFailures >= MAX_START_FAILURES) {
        this.options.onThreadError?.(new Error(`DKIM signing threads failed to start ${this.startFailures} times; signing on the event loop from now on`));
        clearInterval(this.watchdog);
        // Out of the list first, so that their exits replace nothing.
        for (const other of this.threads.splice(0)) void other.worker.terminate();
        return;
      }
      this.threads[at] = this.startThread();
    };
    thread.worker.on('error', (error) => end(error));
    thread.worker.on('exit', (code) => end(new Error(`DKIM signing thread exited with code ${code}`)));
    return thread;
  }

  /** A thread holding a signature past SIGN_TIMEOUT_MS is terminated; its exit replaces it. */
  private replaceStuckThreads(): void {
    const now = performance.now();
    for (const thread of this.threads) {
      const oldest = thread.pending.values().next().value;
      if (oldest && now - oldest.at > SIGN_TIMEOUT_MS) void thread.worker.terminate();
    }
  }

  private key(key: SigningKey): string {
    let pem = this.keys.get(key.privateKeyEncrypted);
    if (!pem) {
      pem = this.box.open(key.privateKeyEncrypted);
      if (this.keys.size > 10_000) this.keys.clear();
      this.keys.set(key.privateKeyEncrypted, pem);
    }
    return pem;
  }
}

/**
 * The threads' script: beside this file when running from dist/; under the test runner, which
 * runs the TypeScript sources, the built copy (`npm test` builds first).
 */
function threadScript(): string {
  const beside = join(__dirname, 'signing-thread.js');
  return existsSync(beside) ? beside : resolve(__dirname, '../../../dist/libs/dkim/src/signing-thread.js');
}
