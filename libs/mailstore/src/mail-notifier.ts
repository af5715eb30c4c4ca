import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LOGGER, type Logger } from '@mailroom/logger';
import { RedisConnection } from '@mailroom/platform';

/** What changed in a folder; listeners re-read the folder's state, so this only says where. */
export interface FolderChange {
  mailboxId: string;
  folderId: string;
  kind: 'append' | 'flags' | 'expunge' | 'folder';
}

type Listener = (change: FolderChange) => void;

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

  constructor(
    private readonly redis: RedisConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.channel = redis.key('mailstore');
  }

  /** Announces a change; never throws (the change is committed whether or not anyone hears). */
  async announce(change: FolderChange): Promise<void> {
    this.deliver(change);
    try {
      await this.redis.client.publish(this.channel, JSON.stringify({ o: this.origin, m: change.mailboxId, f: change.folderId, k: change.kind }));
    } catch (error) {
      this.logger.warn({ err: error, folderId: change.folderId }, 'mailstore change not published');
    }
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
      if (connectedBefore) this.wakeAll();
      connectedBefore = true;
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        const parsed = JSON.parse(message) as { o: string; m: string; f: string; k: FolderChange['kind'] };
        if (parsed.o !== this.origin) this.deliver({ mailboxId: parsed.m, folderId: parsed.f, kind: parsed.k });
      } catch {
        // not ours
      }
    });
    subscriber.subscribe(this.channel).catch(() => undefined);
    return subscriber;
  }

  private deliver(change: FolderChange): void {
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
