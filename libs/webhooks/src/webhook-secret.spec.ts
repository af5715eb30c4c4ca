import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, secretKey, signatureHeader } from './webhook-secret';

describe('Standard Webhooks secrets and signatures', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secretKey(secret)?.length).toBe(32);
    expect(generateSecret()).not.toBe(secret);
  });

  it('accepts keys of 24 to 64 bytes only', () => {
    expect(secretKey(`whsec_${randomBytes(24).toString('base64')}`)).not.toBeNull();
    expect(secretKey(`whsec_${randomBytes(64).toString('base64')}`)).not.toBeNull();
    expect(secretKey(`whsec_${randomBytes(23).toString('base64')}`)).toBeNull();
    expect(secretKey(`whsec_${randomBytes(65).toString('base64')}`)).toBeNull();
    expect(secretKey(randomBytes(32).toString('base64'))).toBeNull();
    expect(secretKey('whsec_not base64!')).toBeNull();
  });

  it('signs as the standardwebhooks package verifies, with every key listed', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const body = JSON.stringify({ type: 'message.delivered', timestamp: new Date().toISOString(), data: { message_id: 'm' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader('evt-1', timestamp, body, [secretKey(current)!, secretKey(previous)!]);
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'evt-1', 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
    for (const secret of [current, previous]) expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(body.replace('m', 'n'), headers)).toThrow();
    expect(header.split(' ')[0]).toBe(new Webhook(current).sign('evt-1', new Date(timestamp * 1000), body));
  });
});
