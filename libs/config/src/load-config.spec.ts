import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/mailroom');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.HTTP_PORT).toBe(3000);
    expect(config.SMTP_INBOUND_PORT).toBe(2525);
    expect(config.SMTP_SUBMISSION_PORT).toBe(2587);
    expect(config.SMTPS_SUBMISSION_PORT).toBe(2465);
    expect(config.IMAP_PORT).toBe(1143);
    expect(config.IMAPS_PORT).toBe(1993);
    expect(config.POP3_PORT).toBe(1110);
    expect(config.POP3S_PORT).toBe(1995);
    expect(config.OUTBOUND_SMTP_PORT).toBe(25);
    expect(config.DNS_SERVERS).toEqual([]);
    expect(config.PUBLIC_URL).toBe('http://localhost:3000');
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.WORKER_CONCURRENCY).toBeGreaterThan(0);
  });

  it('parses lists and numbers', () => {
    const config = loadConfig({ DNS_SERVERS: '127.0.0.1:5353, 10.0.0.2', HTTP_PORT: '8080', RELAY_HOST: 'smtp.example.com:2525' });
    expect(config.DNS_SERVERS).toEqual(['127.0.0.1:5353', '10.0.0.2']);
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.RELAY_HOST).toBe('smtp.example.com:2525');
  });

  it.each([
    ['HTTP_PORT', 'eighty', /HTTP_PORT must be a port number/],
    ['HTTP_PORT', '70000', /HTTP_PORT must be a port number between 1 and 65535/],
    ['DATABASE_URL', 'mysql://x/y', /DATABASE_URL must be a postgresql: or postgres: URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['LOG_FORMAT', 'xml', /LOG_FORMAT must be json or pretty/],
    ['DNS_SERVERS', 'not-an-ip', /DNS_SERVERS/],
    ['SECRET_KEY', 'short', /SECRET_KEY must be at least 32 characters/],
    ['WORKER_CONCURRENCY', '0', /WORKER_CONCURRENCY must be at least 1/],
  ])('refuses %s=%s with one line naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      expect((error as Error).message.split('\n')).toHaveLength(1);
      expect((error as Error).message).toContain(name);
    }
  });

  it('wants TLS_CERT_FILE and TLS_KEY_FILE together', () => {
    expect(() => loadConfig({ TLS_CERT_FILE: '/tmp/cert.pem' })).toThrow(/TLS_KEY_FILE/);
  });
});
