import { describe, expect, it } from 'vitest';
import { badUrlText, parseMessageUrl } from './imap-url';

describe('parseMessageUrl (RFC 5092 relative URLs, as CATENATE takes them)', () => {
  it('reads folder, UIDVALIDITY, UID, section and partial', () => {
    expect(parseMessageUrl('/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME')).toEqual({
      mailbox: 'Drafts',
      uidValidity: 385759045,
      uid: 20,
      path: [1],
      text: 'MIME',
      fields: [],
      partial: null,
    });
    expect(parseMessageUrl('/inbox/;UID=3/;SECTION=HEADER.FIELDS%20(To%20From)/;PARTIAL=2.10')).toMatchObject({
      mailbox: 'INBOX',
      uidValidity: null,
      uid: 3,
      text: 'HEADER.FIELDS',
      fields: ['To', 'From'],
      partial: { start: 2, length: 10 },
    });
    // A folder below another, and a name percent-encoded as UTF-8.
    expect(parseMessageUrl('/Archive/2026/caf%C3%A9;UIDVALIDITY=1/;UID=1')).toMatchObject({ mailbox: 'Archive/2026/café', uid: 1 });
    // Relative to the selected folder.
    expect(parseMessageUrl(';UID=7/;SECTION=2')).toMatchObject({ mailbox: null, uid: 7, path: [2], text: '' });
    expect(parseMessageUrl('Sent;UIDVALIDITY=4/;UID=7')).toMatchObject({ mailbox: 'Sent', uidValidity: 4, uid: 7 });
  });

  it('refuses what names no single message or part of this server', () => {
    for (const url of [
      'imap://joe@example.com/INBOX;UIDVALIDITY=1/;UID=1',
      '//example.com/INBOX/;UID=1',
      '/INBOX',
      '/INBOX;UIDVALIDITY=1',
      '/;UID=1',
      '/INBOX;UIDVALIDITY=0/;UID=1',
      '/INBOX/;UID=0',
      '/INBOX/;UID=99999999999',
      '/INBOX/;UID=1/;SECTION=1.BOGUS',
      '/INBOX/;UID=1/;SECTION=0',
      '/INBOX/;UID=1/;PARTIAL=1.0',
      '/INBOX/;UID=1/;URLAUTH=anonymous',
      '/INBOX/;SECTION=1/;UID=1',
      '/%E0%A4/;UID=1',
      '/a%00b/;UID=1',
    ]) {
      expect(parseMessageUrl(url), url).toBeNull();
    }
  });

  it('keeps a URL fit for [BADURL ...]', () => {
    expect(badUrlText('/INBOX;UIDVALIDITY=1/;UID=2')).toBe('/INBOX;UIDVALIDITY=1/;UID=2');
    expect(badUrlText('/a]b\r\nc/é')).toBe('/a%5Db%0D%0Ac/%C3%A9');
    expect(badUrlText('x'.repeat(1000))).toHaveLength(300);
  });
});
