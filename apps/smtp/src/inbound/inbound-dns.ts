import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { DnsClient, mailauthResolver, reverseResolver, type MailauthResolver, type ReverseResolver } from '@mailroom/dns';

/**
 * The inbound MX's DNS: one DnsClient (libs/dns's resolver and TTL cache, as delivery's) for a
 * client's reverse name and for SPF, DKIM and DMARC. A failed lookup is asked again for the next
 * message (no error cache): authentication is made once per message, and a brief DNS failure
 * should cost one message a temperror, not every message for a while.
 */
@Injectable()
export class InboundDns {
  readonly mailauth: MailauthResolver;
  readonly reverse: ReverseResolver;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const client = new DnsClient({ servers: config.DNS_SERVERS, timeoutMs: 2000, errorCacheMs: 0 });
    this.mailauth = mailauthResolver(client);
    this.reverse = reverseResolver(client);
  }
}
