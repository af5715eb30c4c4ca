import { describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache';

describe('CredentialCache', () => {
  it('matches only the password verified against the same stored hash, for the same mailbox', () => {
    const cache = new CredentialCache();
    cache.remember('m1', 'scrypt$hash-a', 'secret');
    expect(cache.matches('m1', 'scrypt$hash-a', 'secret')).toBe(true);
    expect(cache.matches('m1', 'scrypt$hash-a', 'secreT')).toBe(false);
    expect(cache.matches('m1', 'scrypt$hash-b', 'secret')).toBe(false);
    expect(cache.matches('m2', 'scrypt$hash-a', 'secret')).toBe(false);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 3 });
  });

  it('forgets a password once its time is up', () => {
    const cache = new CredentialCache(0);
    cache.remember('m1', 'scrypt$hash-a', 'secret');
    expect(cache.matches('m1', 'scrypt$hash-a', 'secret')).toBe(false);
  });
});
