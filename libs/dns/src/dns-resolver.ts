import { Resolver } from 'node:dns/promises';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';

/** Node's resolver pointed at DNS_SERVERS when set (tests run their own DNS server on loopback). */
export function createResolver(servers: string[], timeoutMs = 3000): Resolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length) resolver.setServers(servers);
  return resolver;
}

const NO_DATA = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/** True when DNS answered that the name or record does not exist (as opposed to a failure). */
export function isNoData(error: unknown): boolean {
  return NO_DATA.has((error as { code?: string }).code ?? '');
}

@Injectable()
export class DnsResolver {
  readonly resolver: Resolver;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.resolver = createResolver(config.DNS_SERVERS);
  }

  /** TXT records with their chunks joined, [] when there are none. */
  async txt(name: string): Promise<string[]> {
    try {
      return (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (error) {
      if (isNoData(error)) return [];
      throw error;
    }
  }

  async mx(name: string): Promise<Array<{ exchange: string; priority: number }>> {
    try {
      return await this.resolver.resolveMx(name);
    } catch (error) {
      if (isNoData(error)) return [];
      throw error;
    }
  }
}
