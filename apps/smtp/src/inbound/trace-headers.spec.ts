import { describe, expect, it } from 'vitest';
import { stripUntrustedTrace, traceHeaders } from './trace-headers';

describe('trace headers', () => {
  it('removes Authentication-Results claiming our authserv-id (folded or not) and Return-Path; keeps others and the body', () => {
    const raw = Buffer.from(
      [
        'Return-Path: <forged@bank.example>',
        'Authentication-Results: MX.Mailroom.Test; dkim=pass header.d=bank.example',
        'Authentication-Results:',
        ' mx.mailroom.test (version 1);',
        ' spf=pass',
        'Authentication-Results: mx.google.com; dkim=pass header.d=sender.example',
        'Subject: hello',
        '',
        'Authentication-Results: mx.mailroom.test; body text stays',
        '',
      ].join('\r\n'),
    );
    expect(stripUntrustedTrace(raw, 'mx.mailroom.test').toString()).toBe(
      ['Authentication-Results: mx.google.com; dkim=pass header.d=sender.example', 'Subject: hello', '', 'Authentication-Results: mx.mailroom.test; body text stays', ''].join('\r\n'),
    );
  });

  it('returns the same buffer when there is nothing to remove', () => {
    const raw = Buffer.from('Subject: x\r\n\r\nbody');
    expect(stripUntrustedTrace(raw, 'mx.mailroom.test')).toBe(raw);
  });

  it('keeps client-chosen names from breaking out of the Received field', () => {
    const text = traceHeaders({
      mailFrom: 'a@b.example',
      recipient: 'support@shop.example',
      helo: 'evil.example)\r\nX-Injected: yes (',
      clientHostname: 'ptr;name',
      ip: '192.0.2.1',
      secure: false,
      host: 'mx.mailroom.test',
      id: 'abc.1',
      date: new Date('2026-11-23T12:00:00Z'),
    });
    expect(text).toBe(
      'Return-Path: <a@b.example>\r\nDelivered-To: support@shop.example\r\n' +
        'Received: from evil.example___X-Injected:_yes__ (ptr_name [192.0.2.1])\r\n\tby mx.mailroom.test (Mailroom) with ESMTP id abc.1\r\n\tfor <support@shop.example>; Mon, 23 Nov 2026 12:00:00 +0000\r\n',
    );
  });

  it('also removes forgeries that hide our id: deep folding, nested comments, long comments, a trailing dot, no id at all', () => {
    const forged = [
      'Authentication-Results:\r\n \r\n \r\n \r\n \r\n mx.mailroom.test; dkim=pass',
      'Authentication-Results: ((x)) mx.mailroom.test; dkim=pass',
      `Authentication-Results: (${'c'.repeat(1500)}) mx.mailroom.test; dkim=pass`,
      'Authentication-Results: mx.mailroom.test.; dkim=pass',
      'Authentication-Results: ; dkim=pass',
    ];
    for (const field of forged) {
      const raw = Buffer.from(`${field}\r\nSubject: x\r\n\r\nbody\r\n`);
      expect(stripUntrustedTrace(raw, 'mx.mailroom.test').toString(), field.slice(0, 60)).toBe('Subject: x\r\n\r\nbody\r\n');
    }
    const theirs = Buffer.from('Authentication-Results: mx.mailroom.test.evil.example; dkim=pass\r\n\r\nbody\r\n');
    expect(stripUntrustedTrace(theirs, 'mx.mailroom.test')).toEqual(theirs);
  });

  // The header ends at its first empty line, read by libs/mime as everywhere else. An empty line
  // written CR LF after LF-ended fields used to go unseen, and fields in the body were removed.
  it('leaves the body alone when the header ends in a mix of line ends', () => {
    const raw = Buffer.from('Subject: x\nReturn-Path: <forged@bank.example>\n\r\nReturn-Path: quoted in the body\r\n');
    expect(stripUntrustedTrace(raw, 'mx.mailroom.test').toString()).toBe('Subject: x\n\r\nReturn-Path: quoted in the body\r\n');
  });
});
