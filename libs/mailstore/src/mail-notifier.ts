import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';

/** One message as a change left it: its new flags, or null when it was expunged. */
export interface ChangedMessage {
  uid: number;
  modseq: number;
  flags: string[] | null;
}

/** What changed in a folder; listeners re-read the folder's state, so this only says where. */
export interface FolderChange {
  mailboxId: string;
  folderId: string;
  kind: 'append' | 'flags' | 'expunge' | 'folder';
  /**
   * Set by a writer of this process when it knows the whole change: every message that got one
   * of these MODSEQs, as it left it. A listener that has seen everything before the first of
   * them may take them as they are instead of reading the folder again. Never sent over Redis.
   */
  messages?: ChangedMessage[];
}

type Listener = (change: FolderChange) => void;

/** How many of the latest changes `changedSince` can look back over. */
const HEARD = 4096;

/**
 * Tells every process (through Redis pub/sub on `<prefix>:mailstore`) and every session of this
 * process (directly, without the round trip) that a folder changed, so IDLE wakes at once.
 * Redis only carries the wake-up: the state itself is read from PostgreSQL, and after the
 * subscriber reconnects every listener is woken, since changes may have been missed meanwhile.
 */
@Injectable()
export class MailNotifier implements OnModuleDestroy {
  private readonly origin = randomUUID();
  private readonly channel: string;
  private readonly listeners = new Map<string, Set<Listener>>();
  private subscriber?: Redis;
  private closed = false;
  /** The folder ids of the latest changes heard ('*': any folder), by sequence number modulo HEARD. */
  private readonly heard: string[] = new Array<string>(HEARD);
  private sequence = 0;
  /** Subscribed, so that other processes' changes are heard. */
  private listening = false;

  constructor(
    private readonly redis: RedisConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.channel = redis.key('mailstore');
  }

  /** Announces a change; never throws (the change is committed whether or not anyone hears). */
  announce(change: FolderChange): void {
    this.deliver(change);
    // Not waited for: the writer's answer need not wait on Redis (this process's listeners have
    // been told already, other processes hear it as soon as it is published either way).
    this.redis.client.publish(this.channel, JSON.stringify({ o: this.origin, m: change.mailboxId, f: change.folderId, k: change.kind })).catch((error: unknown) => {
      this.logger.warn({ err: error, folderId: change.folderId }, 'mailstore change not published');
    });
  }

  /** Calls `listener` for every change of the folder until the returned function is called. */
  watch(folderId: string, listener: Listener): () => void {
    this.ensureSubscriber();
    let set = this.listeners.get(folderId);
    if (!set) this.listeners.set(folderId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size && this.listeners.get(folderId) === set) this.listeners.delete(folderId);
    };
  }

  /** A mark to ask `changedSince` about later: where the changes heard so far end. */
  mark(): number {
    return this.sequence;
  }

  /**
   * Whether a change of the folder was heard after `mark` (or may have been: a mark too far
   * back, or a reconnect that may have missed changes, says yes). A reader that took its mark
   * before reading knows from a no that nothing committed after its read has been announced yet.
   */
  changedSince(folderId: string, mark: number): boolean {
    if (!this.listening || this.sequence - mark >= HEARD) return true;
    for (let at = mark + 1; at <= this.sequence; at++) {
      const heard = this.heard[at % HEARD];
      if (heard === folderId || heard === '*') return true;
    }
    return false;
  }

  private hear(folderId: string): void {
    this.heard[++this.sequence % HEARD] = folderId;
  }

  /** Resolves once the subscription is active (tests and benchmarks wait for it). */
  async ready(): Promise<void> {
    const subscriber = this.ensureSubscriber();
    if (subscriber.status !== 'ready') await new Promise<void>((resolve) => subscriber.once('ready', () => resolve()));
    await subscriber.subscribe(this.channel);
  }

  private ensureSubscriber(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.redis.client.duplicate({ lazyConnect: false, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    let connectedBefore = false;
    subscriber.on('error', () => undefined); // ioredis reconnects; a missed change is covered below
    subscriber.on('ready', () => {
      // Back after a disconnect: once subscribed again, everyone reads what may have been missed.
      if (connectedBefore) {
        subscriber.subscribe(this.channel).then(
          () => {
            this.listening = true;
            this.wakeAll();
          },
          () => undefined,
        );
      }
      connectedBefore = true;
    });
    subscriber.on('close', () => (this.listening = false));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const parsed = JSON.parse(message) as { o: string; m: string; f: string; k: FolderChange['kind'] };
        if (parsed.o !== this.origin) this.deliver({ mailboxId: parsed.m, folderId: parsed.f, kind: parsed.k });
      } catch {
        // not ours
      }
    });
    subscriber.subscribe(this.channel).then(
      () => (this.listening = true),
      () => undefined,
    );
    return subscriber;
  }

  private deliver(change: FolderChange): void {
    this.hear(change.folderId);
    const set = this.listeners.get(change.folderId);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error({ err: error }, 'mailstore listener failed');
      }
    }
  }

  private wakeAll(): void {
    this.hear('*');
    for (const [folderId, set] of this.listeners) {
      for (const listener of [...set]) listener({ mailboxId: '', folderId, kind: 'folder' });
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.subscriber?.disconnect();
  }
}
