import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { PrismaClient } from './generated/client';
import { Sql } from './sql';

/**
 * Names Nest (and `await`) look up on every provider that the service does not have itself:
 * answered as absent, never by starting the client.
 */
const OWN = new Set<string | symbol>(['then', 'onApplicationBootstrap', 'onModuleDestroy', 'beforeApplicationShutdown']);

type ClientModules = [typeof import('./generated/client'), typeof import('@prisma/adapter-pg')];

// The service has every member of the client (declaration merging): the proxy below forwards them.
export interface PrismaService extends PrismaClient {}

/**
 * The one Prisma client of a process, on node-postgres through the driver adapter, over the
 * process's one pool (Sql's), created on first use: a process whose paths are all raw SQL (the
 * imap process) never starts it, nor loads its modules. Measured there: 10 MiB less resident when
 * idle for the client not started, 2-3 MiB less under bench:imap --mix; about 9 MiB more for its
 * modules not loaded. Disconnected in the last phase of shutdown, after listeners and
 * workers have drained (their hooks run earlier); the pool itself is Sql's to end.
 */
@Injectable()
export class PrismaService implements OnModuleInit, OnApplicationShutdown {
  /**
   * Set before start by a process whose paths are all raw SQL (imap): the client's modules are
   * then not loaded at start either, only on first use if ever (about 9 MiB of resident memory).
   */
  static modulesOnDemand = false;
  private modules?: ClientModules;
  private client?: PrismaClient;

  constructor(private readonly sql: Sql) {
    return new Proxy(this, {
      get(target, property, receiver) {
        if (OWN.has(property) || property in target) return Reflect.get(target, property, receiver);
        const client = target.started();
        const value = Reflect.get(client, property, client) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(client) : value;
      },
    });
  }

  async onModuleInit(): Promise<void> {
    if (!PrismaService.modulesOnDemand) this.modules = await Promise.all([import('./generated/client'), import('@prisma/adapter-pg')]);
  }

  /** The client, created now if this is its first use. */
  started(): PrismaClient {
    if (!this.client) {
      // Loaded at start unless modulesOnDemand; a first use after that loads them now, which only
      // the built code can do synchronously (require), as the processes run it.
      const [{ PrismaClient }, { PrismaPg }] = this.modules ?? [require('./generated/client') as ClientModules[0], require('@prisma/adapter-pg') as ClientModules[1]];
      this.client = new PrismaClient({ adapter: new PrismaPg(this.sql.pool) });
    }
    return this.client;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.$disconnect();
  }
}
