import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { commandTimeoutFor } from './client.js';

describe('commandTimeoutFor (no Redis: clients that never connect)', () => {
  it("takes an ioredis client's commandTimeout, else 5 s", () => {
    const timed = new Redis({ lazyConnect: true, commandTimeout: 250 });
    const plain = new Redis({ lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], {
      lazyConnect: true,
      redisOptions: { commandTimeout: 700 },
    });
    try {
      expect(commandTimeoutFor(timed)).toBe(250);
      expect(commandTimeoutFor(plain)).toBe(5_000);
      expect(commandTimeoutFor(cluster)).toBe(700);
    } finally {
      timed.disconnect();
      plain.disconnect();
      cluster.disconnect();
    }
  });
});
