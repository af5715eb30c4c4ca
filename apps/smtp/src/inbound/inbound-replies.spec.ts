import { describe, expect, it } from 'vitest';
import { DomainError } from '@mailroom/common';
import { inboundReplyFor } from './inbound-replies';

const reply = (error: unknown) => inboundReplyFor(error).toString();

describe('inbound MX replies by error kind', () => {
  it('refuses for good what can never be stored, so the sender bounces it instead of retrying for days', () => {
    expect(reply(new DomainError('invalid', 'unstorable', 'no header section'))).toBe('554 5.6.0 Message rejected: no header section');
    expect(reply(new DomainError('not_found', 'mailbox_not_found', 'mailbox gone'))).toBe('550 5.1.1 No such user here');
    expect(reply(new DomainError('too_large', 'message_too_large', 'too big'))).toBe('552 5.3.4 too big');
  });

  it('keeps a quoted text on one line', () => {
    expect(reply(new DomainError('invalid', 'bad', 'Subject: a\r\n250 2.0.0 forged'))).toBe('554 5.6.0 Message rejected: Subject: a  250 2.0.0 forged');
  });

  it('answers 4xx for what may pass, and for anything that is not a domain error', () => {
    expect(reply(new DomainError('unavailable', 'db', 'x'))).toMatch(/^451 4\.3\.0 /);
    expect(reply(new DomainError('rate_limited', 'busy', 'x'))).toMatch(/^451 4\.7\.1 /);
    expect(reply(new DomainError('conflict', 'race', 'x'))).toMatch(/^451 4\.3\.0 /);
    expect(reply(new Error('Connection terminated unexpectedly'))).toBe('451 4.3.0 Temporary local problem, please try again later');
  });
});
