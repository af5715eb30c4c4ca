import { describe, expect, it } from 'vitest';
import { isPublicAddress, parseWebhookUrl } from './address-guard';

describe('isPublicAddress', () => {
  it('refuses loopback, private, link-local, metadata and reserved addresses', () => {
    for (const ip of [
      '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.100.100.200',
      '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1',
      '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe', '::ffff:10.0.0.1',
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });

  it('accepts public unicast addresses', () => {
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(ip), ip).toBe(true);
    }
  });

  it('refuses what is not an address', () => {
    expect(isPublicAddress('example.com')).toBe(false);
  });
});

describe('parseWebhookUrl', () => {
  it('takes http and https URLs with a host', () => {
    expect(parseWebhookUrl('https://hooks.example.com/mailroom?x=1').hostname).toBe('hooks.example.com');
  });

  it('refuses other schemes, fragments and very long URLs', () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://x/', 'https://example.com/#x', 'not a url', `https://example.com/${'a'.repeat(2100)}`]) {
      expect(() => parseWebhookUrl(url), url).toThrow();
    }
  });
});
