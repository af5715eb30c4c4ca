import { describe, expect, it } from 'vitest';
import { DomainError } from '@mailroom/common';
import { parseAddress } from '@mailroom/compose';
import type { DomainRepository } from '@mailroom/db';
import { SenderDomains } from './sender-domains';

type Domain = Awaited<ReturnType<DomainRepository['list']>>[number];

function repository(lists: Array<Array<Partial<Domain>>>) {
  let reads = 0;
  const fake = { list: async () => lists[Math.min(reads++, lists.length - 1)] as Domain[] };
  return { domains: new SenderDomains(fake as unknown as DomainRepository), reads: () => reads };
}

const verified = { id: 'd1', name: 'ours.test', verifiedAt: new Date() };

describe('SenderDomains', () => {
  it('answers from the cached list while the address is on a verified domain', async () => {
    const { domains, reads } = repository([[verified]]);
    expect((await domains.of('a1', parseAddress('x@ours.test', 'from'), 'from')).id).toBe('d1');
    await domains.check('a1', 'y@ours.test', 'MAIL FROM');
    expect(reads()).toBe(1);
  });

  it('reads the list again before saying no, so a domain verified a moment ago works at once', async () => {
    const { domains, reads } = repository([[{ ...verified, verifiedAt: null }], [verified]]);
    await domains.check('a1', 'x@ours.test', 'from');
    expect(reads()).toBe(2);
  });

  it('refuses a domain of another account and an unverified one, naming the field', async () => {
    const { domains } = repository([[{ ...verified, verifiedAt: null }]]);
    const unknown = await domains.check('a1', 'x@theirs.test', 'from').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DomainError);
    expect(unknown).toMatchObject({ kind: 'invalid', code: 'unknown_sender_domain', details: { field: 'from' } });
    await expect(domains.check('a1', 'x@ours.test', 'MAIL FROM')).rejects.toMatchObject({ code: 'domain_not_verified', details: { field: 'MAIL FROM' } });
  });
});
