import { describe, expect, it } from 'vitest';
import { describeFailure, redactUrl } from './service-check';

describe('the line printed when PostgreSQL or Redis cannot be used', () => {
  it('names the service, the address, the cause and how to start a local one', () => {
    expect(describeFailure('Redis', 'redis://127.0.0.1:6379', { code: 'ECONNREFUSED' }).message).toBe(
      'Mailroom cannot reach Redis at redis://127.0.0.1:6379 (connection refused). Start it: sudo apt-get install -y redis-server && sudo systemctl start redis-server, or docker compose up -d redis',
    );
    expect(describeFailure('PostgreSQL', 'postgresql://postgres@localhost:5432/mailroom', { code: 'ECONNREFUSED' }).message).toBe(
      'Mailroom cannot reach PostgreSQL at postgresql://postgres@localhost:5432/mailroom (connection refused). Start it: sudo apt-get install -y postgresql && sudo systemctl start postgresql, or docker compose up -d postgres',
    );
  });

  it('sends a remote or misspelt address back to the setting instead of to apt-get', () => {
    expect(describeFailure('Redis', 'redis://cache.internal:6379', { code: 'ENOTFOUND' }).message).toBe(
      'Mailroom cannot reach Redis at redis://cache.internal:6379 (unknown host cache.internal). Check the host name in REDIS_URL',
    );
    expect(describeFailure('PostgreSQL', 'postgresql://db.internal/mailroom', { code: 'ETIMEDOUT' }, 5000).message).toBe(
      'Mailroom cannot reach PostgreSQL at postgresql://db.internal/mailroom (no answer within 5 s). Check that PostgreSQL runs on db.internal and accepts connections from here, or set DATABASE_URL',
    );
  });

  it('tells a refused login from a missing server, and never prints the password', () => {
    const pg = describeFailure('PostgreSQL', 'postgresql://mailroom:s3cret@127.0.0.1:5432/mailroom', {
      code: '28P01',
      message: 'password authentication failed for user "mailroom"',
    }).message;
    expect(pg).toBe(
      'Mailroom cannot log in to PostgreSQL at postgresql://mailroom:***@127.0.0.1:5432/mailroom (password authentication failed for user "mailroom"). Check the user and password in DATABASE_URL',
    );
    const redis = describeFailure('Redis', 'redis://:s3cret@127.0.0.1:6379/0', { message: 'WRONGPASS invalid username-password pair or user is disabled.' }).message;
    expect(redis).toBe(
      'Mailroom cannot log in to Redis at redis://:***@127.0.0.1:6379/0 (WRONGPASS invalid username-password pair or user is disabled.). Check the password in REDIS_URL',
    );
    expect(pg + redis).not.toContain('s3cret');
    expect(describeFailure('PostgreSQL', 'postgresql://postgres@127.0.0.1:5432/mailroom', new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')).message).toBe(
      'Mailroom cannot log in to PostgreSQL at postgresql://postgres@127.0.0.1:5432/mailroom (the server asks for a password and DATABASE_URL has none). Check the user and password in DATABASE_URL',
    );
  });

  it('asks to try again when the server is still starting', () => {
    expect(describeFailure('PostgreSQL', 'postgresql://postgres@127.0.0.1:5432/mailroom', { code: '57P03', message: 'the database system is starting up' }).message).toBe(
      'Mailroom cannot use PostgreSQL at postgresql://postgres@127.0.0.1:5432/mailroom yet (the database system is starting up). Try again in a moment',
    );
    expect(describeFailure('Redis', 'redis://127.0.0.1:6379', new Error('LOADING Redis is loading the dataset in memory')).message).toBe(
      'Mailroom cannot use Redis at redis://127.0.0.1:6379 yet (LOADING Redis is loading the dataset in memory). Try again in a moment',
    );
  });

  it('keeps any other failure to its first line', () => {
    const line = describeFailure('Redis', 'rediss://127.0.0.1:6380', new Error('self-signed certificate\n    at TLSSocket.onConnectSecure')).message;
    expect(line).toBe('Mailroom cannot use Redis at rediss://127.0.0.1:6380 (self-signed certificate). Check REDIS_URL');
  });

  it('redacts only the password of a URL', () => {
    expect(redactUrl('postgresql://u:p@h:1/d?sslmode=require')).toBe('postgresql://u:***@h:1/d?sslmode=require');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
