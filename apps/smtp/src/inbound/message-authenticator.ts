import { Inject, Injectable } from '@nestjs/common';
import { authenticate, type DNSResolver } from 'mailauth';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { LOGGER, type Logger } from '@mailroom/logger';
import { InboundDns } from './inbound-dns';

export interface ConnectionFacts {
  ip: string;
  helo: string;
  /** MAIL FROM, '' for the null sender. */
  sender: string;
}

/**
 * SPF, DKIM, DMARC and ARC for mail filed into a mailbox (mailauth), as the header lines to
 * prepend: `Received-SPF` and `Authentication-Results` under MAIL_HOSTNAME as authserv-id.
 * DNS goes through InboundDns (libs/dns's TTL cache): every message from one sender asks the
 * same SPF, DKIM key and DMARC questions.
 */
@Injectable()
export class MessageAuthenticator {
  readonly authservId: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly dns: InboundDns,
  ) {
    this.authservId = config.MAIL_HOSTNAME.toLowerCase();
  }

  async headers(raw: Buffer, facts: ConnectionFacts): Promise<string> {
    try {
      const result = await authenticate(raw, {
        ip: facts.ip,
        helo: facts.helo,
        sender: facts.sender,
        mta: this.authservId,
        // mailauth's type says string lists; MX answers are {exchange, priority}, as from node.
        resolver: this.dns.mailauth as DNSResolver,
        disableBimi: true,
      });
      let headers = result.headers.replace(/(\r\n)?$/, '');
      // mailauth leaves ARC out of the header when the message has no ARC chain; say so.
      if (!/;\s*arc=/.test(headers)) headers += `;\r\n arc=${result.arc ? result.arc.status.result : 'none'}`;
      return `${headers}\r\n`;
    } catch (error) {
      // The message is still delivered: a reader learns the checks could not be made.
      this.logger.warn({ err: error }, 'message authentication failed');
      return `Authentication-Results: ${this.authservId}; spf=temperror; dkim=temperror; dmarc=temperror; arc=temperror\r\n`;
    }
  }
}
