import { describe, expect, it } from 'vitest';
import { prepareMessage } from './prepared-message';

describe('prepareMessage: what is stored beside the raw bytes', () => {
  it('keeps NULs in the raw bytes and leaves them out of every decoded field', () => {
    const raw = Buffer.from('From: A\0nn <ann@example.org>\r\nTo: b\0b@example.net\r\nSubject: Hi\0 there\r\nMessage-ID: <x\0@y>\r\nContent-Type: text/plain; name="a\0b"\r\n\r\nbody\0\r\n', 'latin1');
    const message = prepareMessage(raw);
    expect(message.raw.equals(raw)).toBe(true);
    expect(message.subject).toBe('Hi there');
    expect(message.fromAddress).toBe('Ann <ann@example.org>');
    expect(message.toAddresses).toBe('bb@example.net');
    expect(message.messageIdHeader).toBe('x@y');
    const json = JSON.stringify({ envelope: message.envelope, bodyStructure: message.bodyStructure });
    expect(json).not.toContain('\\u0000');
    expect(message.bodyStructure.params).toEqual([['name', 'ab']]);
  });

  it('an encoded word that decodes to NUL or to a lone surrogate gives text PostgreSQL can hold', () => {
    const utf16 = Buffer.from([0xd8, 0x00, 0x00, 0x41]).toString('base64');
    const message = prepareMessage(Buffer.from(`Subject: =?utf-8?q?a=00b?= =?utf-16be?b?${utf16}?=\r\n\r\nx\r\n`));
    expect(message.subject).toBe('ab\uFFFDA');
  });
});
