import { describe, expect, it } from 'vitest';
import { localReply, parseReply } from './reply-parser';

describe('parseReply', () => {
  it('reads the basic and enhanced codes of a one-line reply', () => {
    expect(parseReply('550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown')).toEqual({
      code: 550,
      enhanced: '5.1.1',
      text: '<bob@example.com>: Recipient address rejected: User unknown',
      response: '550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown',
    });
  });

  it('joins the text of a multi-line reply and keeps the first enhanced code', () => {
    const reply = parseReply(
      '550-5.1.1 The email account that you tried to reach does not exist. Please try\n' +
        '550-5.1.1 double-checking the recipient\'s email address for typos or\n' +
        '550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser',
    );
    expect(reply.code).toBe(550);
    expect(reply.enhanced).toBe('5.1.1');
    expect(reply.text).toBe(
      "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser",
    );
    expect(reply.response.split('\n')).toHaveLength(3);
  });

  it('accepts replies without an enhanced code, without text, and with CRLF line ends', () => {
    expect(parseReply('451 Try again later')).toEqual({ code: 451, text: 'Try again later', response: '451 Try again later' });
    expect(parseReply('250')).toEqual({ code: 250, text: '', response: '250' });
    expect(parseReply('250-first\r\n250 2.0.0 second\r\n')).toMatchObject({ code: 250, enhanced: '2.0.0', text: 'first second' });
  });

  it('ignores an enhanced code whose class disagrees with the basic code (RFC 3463)', () => {
    expect(parseReply('550 4.2.2 mailbox full').enhanced).toBeUndefined();
    expect(parseReply('452 4.2.2 mailbox full').enhanced).toBe('4.2.2');
  });

  it('normalizes leading zeros and does not mistake version-like text for a code', () => {
    expect(parseReply('554 5.07.001 blocked').enhanced).toBe('5.7.1');
    expect(parseReply('554 5.7 blocked').enhanced).toBeUndefined();
  });

  it('gives 0 for text that is no SMTP reply', () => {
    expect(parseReply('Connection closed')).toEqual({ code: 0, text: 'Connection closed', response: 'Connection closed' });
  });

  it('builds local replies in the same shape', () => {
    expect(localReply(451, '4.4.2', 'Connection lost')).toEqual({
      code: 451,
      enhanced: '4.4.2',
      text: 'Connection lost',
      response: '451 4.4.2 Connection lost',
    });
  });
});
