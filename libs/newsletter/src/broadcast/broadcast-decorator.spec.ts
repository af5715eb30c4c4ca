import { describe, expect, it } from 'vitest';
import { Secrets } from '@mailroom/crypto';
import type { AppConfig } from '@mailroom/config';
import { TrackingTokens } from '../tracking/tracking-tokens';
import { UnsubscribeTokens } from '../unsubscribe/unsubscribe-token';
import { BroadcastDecorator, type BroadcastRecipient } from './broadcast-decorator';

const secrets = new Secrets('k'.repeat(40));
const unsubscribe = new UnsubscribeTokens(secrets);
const tracking = new TrackingTokens(secrets);
const decorator = new BroadcastDecorator({ PUBLIC_URL: 'https://mail.example.net/' } as AppConfig, unsubscribe, tracking);

const r: BroadcastRecipient = {
  accountId: '11111111-1111-4111-8111-111111111111',
  messageId: '22222222-2222-4222-8222-222222222222',
  recipientId: '33333333-3333-4333-8333-333333333333',
  contactId: '44444444-4444-4444-8444-444444444444',
  listId: '55555555-5555-4555-8555-555555555555',
  email: 'reader@example.org',
  listIdHeader: 'news.example.com',
  returnPathDomain: 'bounces.example.com',
};

const tokenOf = (url: string, prefix: string) => url.slice(url.indexOf(prefix) + prefix.length);

describe('BroadcastDecorator', () => {
  it('writes List-Unsubscribe (https and mailto), one-click and List-Id', () => {
    const headers = decorator.headers(r);
    expect(headers.map((h) => h.key)).toEqual(['List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Id']);
    const [https, mailto] = headers[0]!.value.split(', ');
    expect(https).toMatch(/^<https:\/\/mail\.example\.net\/u\/[A-Za-z0-9_-]+>$/);
    expect(mailto).toMatch(/^<mailto:unsubscribe-[0-9a-f]{32}-[0-9a-f]{16}@bounces\.example\.com\?subject=unsubscribe>$/);
    expect(headers[1]!.value).toBe('List-Unsubscribe=One-Click');
    expect(headers[2]!.value).toBe('<news.example.com>');
    const token = tokenOf(https!.slice(1, -1), '/u/');
    expect(token.length).toBeLessThanOrEqual(104);
    expect(unsubscribe.decode(token)).toEqual({ accountId: r.accountId, recipientId: r.recipientId, contactId: r.contactId, listId: r.listId });
    const local = mailto!.slice('<mailto:'.length, mailto!.indexOf('@'));
    expect(local.length).toBeLessThanOrEqual(64);
    expect(unsubscribe.parseMailtoLocalPart(local.toUpperCase())).toBe(r.recipientId);
  });

  it('names a fallback List-Id and leaves the mailto out without a return-path domain', () => {
    const headers = decorator.headers({ ...r, listIdHeader: null, returnPathDomain: null, contactId: null, listId: null });
    expect(headers[0]!.value).not.toContain('mailto:');
    expect(headers[2]!.value).toBe('<broadcast.mail.example.net>');
    expect(decorator.headers({ ...r, listIdHeader: 'bad\r\nX-Evil: 1' })[2]!.value).toBe('<broadcast.bounces.example.com>');
  });

  it('refuses altered, truncated and cross-kind tokens', () => {
    const token = tokenOf(decorator.unsubscribeUrl(r), '/u/');
    const other = tokenOf(decorator.unsubscribeUrl({ ...r, contactId: '66666666-6666-4666-8666-666666666666' }), '/u/');
    expect(unsubscribe.decode(other)?.contactId).toBe('66666666-6666-4666-8666-666666666666');
    for (let i = 0; i < token.length; i++) {
      const c = token[i] === 'A' ? 'B' : 'A';
      expect(unsubscribe.decode(token.slice(0, i) + c + token.slice(i + 1))).toBeNull();
    }
    expect(unsubscribe.decode(token.slice(0, -1))).toBeNull();
    expect(unsubscribe.decode(token + 'A')).toBeNull();
    expect(unsubscribe.decode('')).toBeNull();
    // Another key (another installation) knows nothing of these.
    expect(new UnsubscribeTokens(new Secrets('z'.repeat(40))).decode(token)).toBeNull();
    // An open token is no unsubscribe token, nor a click token, though all are signed.
    const open = tracking.open(r.recipientId);
    expect(unsubscribe.decode(open)).toBeNull();
    expect(tracking.parseClick(open)).toBeNull();
    expect(tracking.parseOpen(open)).toBe(r.recipientId);
    expect(unsubscribe.parseMailtoLocalPart(`unsubscribe-${'3'.repeat(32)}-${'0'.repeat(16)}`)).toBeNull();
  });

  it('rewrites http(s) links of <a> only, keeps everything else byte for byte, and appends the pixel', () => {
    const unsubscribeUrl = decorator.unsubscribeUrl(r);
    const html = [
      '<!doctype html><html><head><style>a[href="https://css.example/"]{}</style></head><body>',
      '<a href="https://shop.example/a?x=1&amp;y=2">one</a>',
      "<A class=x HREF='http://shop.example/b'>two</A>",
      '<a href=https://shop.example/c>three</a>',
      '<a href="mailto:me@example.com">mail</a> <a href="#top">top</a> <a href="/relative">rel</a>',
      `<a href="${unsubscribeUrl}">unsubscribe</a>`,
      '<!-- <a href="https://comment.example/">x</a> -->',
      '<script>var s = \'<a href="https://script.example/">\';</script>',
      '<a data-no-track href="https://private.example/">private</a>',
      '<img src="https://img.example/x.png"><a title="a > b" href="https://shop.example/a?x=1&amp;y=2">again</a>',
      '</body></html>',
    ].join('\n');
    const out = decorator.trackHtml(html, r, { trackOpens: true, trackClicks: true });
    const clicks = [...out.matchAll(/href=["']?https:\/\/mail\.example\.net\/t\/c\/([A-Za-z0-9_-]+)/gi)].map((m) => tracking.parseClick(m[1]!));
    expect(clicks.map((c) => c?.url)).toEqual(['https://shop.example/a?x=1&y=2', 'http://shop.example/b', 'https://shop.example/c', 'https://shop.example/a?x=1&y=2']);
    expect(clicks.every((c) => c?.recipientId === r.recipientId && c.links === 3)).toBe(true);
    for (const kept of ['mailto:me@example.com', '"#top"', '"/relative"', unsubscribeUrl, 'https://comment.example/', 'https://script.example/', 'https://private.example/', 'https://img.example/x.png', 'https://css.example/', "<A class=x HREF='"]) {
      expect(out).toContain(kept);
    }
    expect(out).toMatch(/<img src="https:\/\/mail\.example\.net\/t\/o\/[A-Za-z0-9_-]+" width="1" height="1" alt=""[^>]*\/><\/body><\/html>$/);
    // Without tracking the HTML is returned as it was.
    expect(decorator.trackHtml(html, r, { trackOpens: false, trackClicks: false })).toBe(html);
    // Opens only: links stay, pixel at the end of a fragment without </body>.
    const fragment = '<p><a href="https://x.example/">x</a>';
    expect(decorator.trackHtml(fragment, r, { trackOpens: true, trackClicks: false })).toMatch(/^<p><a href="https:\/\/x\.example\/">x<\/a><img src="[^"]+\/t\/o\/[^"]+"/);
  });

  it('survives unterminated and odd markup', () => {
    for (const html of ['<a href="https://x.example/', '<a', '<', '<!--', '<a href=>x</a>', '<a href="https://x.example/" href="https://y.example/">x</a>', '<<a href="https://x.example/">']) {
      const out = decorator.trackHtml(html, r, { trackOpens: false, trackClicks: true });
      expect(typeof out).toBe('string');
      expect(out).not.toContain('https://y.example/t/');
    }
    const out = decorator.trackHtml('<a href="https://x.example/" href="https://y.example/">x</a>', r, { trackOpens: false, trackClicks: true });
    expect(out).toContain('href="https://y.example/"');
  });

  it('makes click tokens that carry only their own URL', () => {
    const token = tracking.click({ recipientId: r.recipientId, url: 'https://shop.example/a', links: 2 });
    const bytes = Buffer.from(token, 'base64url');
    const evil = Buffer.from('https://evil.example/');
    const tampered = Buffer.concat([bytes.subarray(0, 19), evil, bytes.subarray(bytes.length - 12)]).toString('base64url');
    expect(tracking.parseClick(tampered)).toBeNull();
    expect(tracking.parseClick(token)).toEqual({ recipientId: r.recipientId, url: 'https://shop.example/a', links: 2 });
    const web = tokenOf(decorator.webVersionUrl(r, '77777777-7777-4777-8777-777777777777'), '/w/');
    expect(tracking.parseWebVersion(web)).toEqual({ accountId: r.accountId, campaignId: '77777777-7777-4777-8777-777777777777', contactId: r.contactId });
  });
});
