import { describe, expect, it } from 'vitest';
import { DomainError } from '@mailroom/common';
import { replyFor } from './submission-replies';

const reply = (error: DomainError) => replyFor(error).toString();

describe('relay replies by error kind', () => {
  it('refuses a message for what is wrong with it, permanently', () => {
    expect(reply(new DomainError('invalid', 'no_recipients', 'at least one RCPT TO is required'))).toBe('550 5.6.0 at least one RCPT TO is required');
    expect(reply(new DomainError('invalid', 'header_control_character', 'Subject: a control'))).toBe('554 5.6.0 Message rejected: Subject: a control');
    expect(reply(new DomainError('too_large', 'message_too_large', 'too big'))).toBe('552 5.3.4 too big');
  });

  it('tells the envelope sender from a header by the field the error names, not its text', () => {
    const error = (field: string) => new DomainError('invalid', 'unknown_sender_domain', `${field}: x.test is not a domain of this account`, { field });
    expect(reply(error('MAIL FROM'))).toBe('553 5.7.1 Sender address rejected: MAIL FROM: x.test is not a domain of this account');
    expect(reply(error('Sender'))).toBe('550 5.7.1 Header rejected: Sender: x.test is not a domain of this account');
  });

  it('answers a temporary refusal with 4xx, so the client keeps the message', () => {
    expect(reply(new DomainError('rate_limited', 'send_limit_exceeded', 'hour spent'))).toBe('451 4.7.1 hour spent');
    expect(reply(new DomainError('unavailable', 'dns_lookup_failed', 'try again'))).toBe('451 4.3.0 try again');
  });
});
