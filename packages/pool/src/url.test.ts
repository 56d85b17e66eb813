import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactUrl, scrub } from './url.js';

describe('url', () => {
  it('parses user, password, host, port, db and TLS', () => {
    expect(parseRedisUrl('rediss://app:p%40ss@[::1]:6390/3')).toEqual({
      host: '::1',
      port: 6390,
      username: 'app',
      password: 'p@ss',
      db: 3,
      tls: true,
    });
    expect(parseRedisUrl('redis://localhost')).toEqual({
      host: 'localhost',
      port: 6379,
      username: undefined,
      password: undefined,
      db: 0,
      tls: false,
    });
  });

  it('redacts passwords as redis://user:***@host:port/db', () => {
    expect(redactUrl('redis://app:secret@cache:6380/2')).toBe('redis://app:***@cache:6380/2');
    expect(redactUrl('rediss://:secret@cache/0')).toBe('rediss://:***@cache/0');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactUrl('redis://a:b c@d')).not.toContain('b c');
  });

  it('scrubs secrets out of lower-layer messages', () => {
    expect(scrub('WRONGPASS for hunter2', ['hunter2', undefined])).toBe('WRONGPASS for ***');
  });
});
