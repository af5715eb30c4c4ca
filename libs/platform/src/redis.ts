import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';

/**
 * The process's Redis command connection. BullMQ opens its own (it needs blocking
 * connections); this one serves health checks, rate limits and pub/sub publishing. Closed in the
 * last phase of shutdown, after listeners and workers have drained.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis;
  readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = config.REDIS_PREFIX;
    this.client = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.client.on('error', () => undefined); // reported by health checks; ioredis reconnects on its own
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}
