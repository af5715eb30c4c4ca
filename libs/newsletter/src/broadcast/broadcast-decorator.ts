import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@mailroom/config';
import { appendBeforeBodyEnd, findLinks, rewriteLinks } from '../tracking/link-rewriter';
import { TrackingTokens } from '../tracking/tracking-tokens';
import { UnsubscribeTokens } from '../unsubscribe/unsubscribe-token';

/** One copy of a broadcast message: one message, one recipient. */
export interface BroadcastRecipient {
  accountId: string;
  messageId: string;
  recipientId: string;
  /** Null for API broadcast mail to an address that is no contact of the account. */
  contactId: string | null;
  /** The list the contact gets it through; null: unsubscribing leaves every list. */
  listId: string | null;
  email: string;
  /** The list's List-Id (RFC 2919) without angle brackets; null: `broadcast.<return-path domain>`. */
  listIdHeader: string | null;
  /**
   * The sending domain's return-path (VERP) domain, whose MX is Mailroom's inbound MTA: the
   * List-Unsubscribe mailto address is there. Without it the header carries the https URL only.
   */
  returnPathDomain?: string | null;
}

export interface BroadcastOptions {
  trackOpens: boolean;
  trackClicks: boolean;
}

const HEADER_SAFE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}$/;

/**
 * What makes one recipient's copy of a broadcast message: the unsubscribe headers (RFC 2369
 * List-Unsubscribe with https and mailto, RFC 8058 one-click, RFC 2919 List-Id), the links for
 * templates (unsubscribe, web version), and open and click tracking rewrites. Every link is
 * signed (UnsubscribeTokens, TrackingTokens); nothing here reads the database.
 */
@Injectable()
export class BroadcastDecorator {
  private readonly base: string;
  private readonly host: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly unsubscribeTokens: UnsubscribeTokens,
    private readonly trackingTokens: TrackingTokens,
  ) {
    this.base = config.PUBLIC_URL.replace(/\/+$/, '');
    this.host = new URL(this.base).hostname;
  }

  /** List-Unsubscribe, List-Unsubscribe-Post and List-Id, in that order. DKIM signs all three. */
  headers(r: BroadcastRecipient): Array<{ key: string; value: string }> {
    const links = [`<${this.unsubscribeUrl(r)}>`];
    const mailto = this.mailtoAddress(r);
    if (mailto) links.push(`<mailto:${mailto}?subject=unsubscribe>`);
    return [
      { key: 'List-Unsubscribe', value: links.join(', ') },
      { key: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      { key: 'List-Id', value: `<${this.listId(r)}>` },
    ];
  }

  unsubscribeUrl(r: Pick<BroadcastRecipient, 'accountId' | 'recipientId' | 'contactId' | 'listId'>): string {
    return `${this.base}/u/${this.unsubscribeTokens.encode({ accountId: r.accountId, recipientId: r.recipientId || null, contactId: r.contactId, listId: r.listId })}`;
  }

  /** The address the inbound MTA takes unsubscribe mail at, or null without a return-path domain. */
  mailtoAddress(r: BroadcastRecipient): string | null {
    const domain = r.returnPathDomain?.toLowerCase();
    if (!domain || !HEADER_SAFE.test(domain)) return null;
    return `${this.unsubscribeTokens.mailtoLocalPart(r.recipientId)}@${domain}`;
  }

  webVersionUrl(r: Pick<BroadcastRecipient, 'accountId' | 'contactId'>, campaignId: string): string {
    return `${this.base}/w/${this.trackingTokens.webVersion({ accountId: r.accountId, campaignId, contactId: r.contactId })}`;
  }

  /**
   * Rewrites each http(s) link of <a>/<area> to /t/c/TOKEN (not mailto:, #anchors, relative
   * links, nor Mailroom's own unsubscribe and web-version links) and appends the open pixel
   * /t/o/TOKEN before </body>, as the options say. The rest of the HTML is left byte for byte.
   */
  trackHtml(html: string, r: BroadcastRecipient, o: BroadcastOptions): string {
    let out = html;
    if (o.trackClicks) {
      const links = findLinks(html);
      const tracked = (url: string) => /^https?:\/\//i.test(url) && !url.startsWith(`${this.base}/u/`) && !url.startsWith(`${this.base}/w/`);
      const distinct = new Set(links.map((l) => l.url).filter(tracked));
      if (distinct.size) {
        const rewritten = new Map<string, string>();
        out = rewriteLinks(html, links, (url) => {
          if (!tracked(url)) return null;
          let target = rewritten.get(url);
          if (!target) rewritten.set(url, (target = `${this.base}/t/c/${this.trackingTokens.click({ recipientId: r.recipientId, url, links: distinct.size })}`));
          return target;
        });
      }
    }
    if (o.trackOpens) {
      const pixel = `${this.base}/t/o/${this.trackingTokens.open(r.recipientId)}`;
      out = appendBeforeBodyEnd(out, `<img src="${pixel}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0" />`);
    }
    return out;
  }

  private listId(r: BroadcastRecipient): string {
    const given = r.listIdHeader?.trim().replace(/^<|>$/g, '');
    if (given && HEADER_SAFE.test(given)) return given;
    return `broadcast.${r.returnPathDomain && HEADER_SAFE.test(r.returnPathDomain) ? r.returnPathDomain.toLowerCase() : this.host}`;
  }
}
