import { describe, expect, it } from 'vitest';
import { Secrets } from '@mailroom/crypto';
import { recipientDomainHash, ReturnPath } from './return-path';

const returnPath = new ReturnPath(new Secrets('x'.repeat(40)));
const recipientId = '0b9e4b8e-6a0c-4c4f-9a43-1f2d3c4b5a69';

describe('VERP return paths', () => {
  it('round-trips a recipient token, whatever the case of the address', () => {
    const address = returnPath.address({ kind: 'recipient', recipientId }, 'mr-bounces.example.com');
    expect(address).toMatch(/^bnc-r0b9e4b8e6a0c4c4f9a431f2d3c4b5a69-[0-9a-f]{16}@mr-bounces\.example\.com$/);
    expect(address.split('@')[0].length).toBeLessThanOrEqual(64);
    expect(returnPath.parse(address)).toEqual({ kind: 'recipient', recipientId });
    expect(returnPath.parse(address.toUpperCase())).toEqual({ kind: 'recipient', recipientId });
  });

  it('round-trips a message token', () => {
    const address = returnPath.address({ kind: 'message', messageId: recipientId }, 'rp.example');
    expect(returnPath.parse(address)).toEqual({ kind: 'message', messageId: recipientId });
  });

  it('binds a several-recipient transaction to its recipient domain', () => {
    const address = returnPath.addressForDomain(recipientId, 'Gmail.com', 'rp.example');
    expect(address.split('@')[0].length).toBeLessThanOrEqual(64);
    expect(returnPath.parse(address)).toEqual({ kind: 'message', messageId: recipientId, domainHash: recipientDomainHash('gmail.com') });
    const [local] = address.split('@');
    const otherDomain = local.slice(0, 37) + recipientDomainHash('yahoo.com') + local.slice(45);
    expect(returnPath.parse(`${otherDomain}@rp.example`)).toBeNull();
  });

  it('refuses forged, tampered and foreign addresses', () => {
    const address = returnPath.address({ kind: 'recipient', recipientId }, 'rp.example');
    const [local, domain] = address.split('@');
    const tamperedId = local.replace('0b9e', '0b9f');
    expect(returnPath.parse(`${tamperedId}@${domain}`)).toBeNull();
    const flippedMac = local.slice(0, -1) + (local.endsWith('0') ? '1' : '0');
    expect(returnPath.parse(`${flippedMac}@${domain}`)).toBeNull();
    expect(returnPath.parse(local.replace('bnc-r', 'bnc-m') + '@' + domain)).toBeNull();
    expect(returnPath.parse('postmaster@rp.example')).toBeNull();
    expect(new ReturnPath(new Secrets('y'.repeat(40))).parse(address)).toBeNull();
  });
});
