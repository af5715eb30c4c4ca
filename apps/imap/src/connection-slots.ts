import { Inject, Injectable } from '@nestjs/common';
import { IMAP_OPTIONS, type ImapOptions } from './imap-options';

/**
 * Connections open in this process, per client IP and in all, shared by the IMAP and POP3
 * listeners: a client gets maxConnectionsPerIp whichever protocol it speaks.
 */
@Injectable()
export class ConnectionSlots {
  private readonly perIp = new Map<string, number>();
  private total = 0;

  constructor(@Inject(IMAP_OPTIONS) private readonly options: ImapOptions) {}

  /** Takes a slot for `ip`: a release function (safe to call twice), or null when full. */
  take(ip: string): (() => void) | null {
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.options.maxConnectionsPerIp || this.total >= this.options.maxConnections) return null;
    this.perIp.set(ip, fromIp + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    };
  }
}
