import { describe, expect, it } from 'vitest';
import { DnsCache } from './dns-cache';

describe('DnsCache', () => {
  it('asks once per name and type, remembers "no such record" briefly and forgets failures', async () => {
    const asked: string[] = [];
    const cache = new DnsCache({
      resolve: (async (name: string, type: string) => {
        asked.push(`${type} ${name}`);
        if (name === 'none.example') throw Object.assign(new Error('nodata'), { code: 'ENODATA' });
        if (name === 'broken.example') throw Object.assign(new Error('timeout'), { code: 'ETIMEOUT' });
        return [['v=spf1 -all']];
      }) as never,
    });
    expect(await cache.resolve('a.example', 'TXT')).toEqual([['v=spf1 -all']]);
    await cache.resolve('A.example', 'TXT');
    await cache.resolve('a.example', 'MX');
    await expect(cache.resolve('none.example', 'TXT')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(cache.resolve('none.example', 'TXT')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(cache.resolve('broken.example', 'TXT')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    await expect(cache.resolve('broken.example', 'TXT')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    expect(asked).toEqual(['TXT a.example', 'MX a.example', 'TXT none.example', 'TXT broken.example', 'TXT broken.example']);
  });
});
