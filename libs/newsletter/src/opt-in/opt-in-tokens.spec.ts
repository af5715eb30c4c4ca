import { describe, expect, it } from 'vitest';
import { Secrets } from '@mailroom/crypto';
import { OptInTokens } from './opt-in-tokens';

describe('OptInTokens', () => {
  const tokens = new OptInTokens(new Secrets('s'.repeat(40)));
  const list = '0b6f2c1e-8a3d-4f5b-9c7e-1d2a3b4c5d6e';
  const contact = '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b';

  it('round-trips list and contact until it expires after 7 days', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const token = tokens.issue(list, contact, now);
    expect(tokens.check(token, now)).toEqual({ ok: true, listId: list, contactId: contact });
    expect(tokens.check(token, new Date(now.getTime() + 6.9 * 86_400_000)).ok).toBe(true);
    expect(tokens.check(token, new Date(now.getTime() + 7.1 * 86_400_000))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses forged, altered or foreign tokens', () => {
    const token = tokens.issue(list, contact);
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    expect(tokens.check(flipped)).toEqual({ ok: false, reason: 'invalid' });
    expect(tokens.check(token.slice(0, -1))).toEqual({ ok: false, reason: 'invalid' });
    expect(new OptInTokens(new Secrets('t'.repeat(40))).check(token)).toEqual({ ok: false, reason: 'invalid' });
    expect(tokens.check('../../etc/passwd')).toEqual({ ok: false, reason: 'invalid' });
  });
});
