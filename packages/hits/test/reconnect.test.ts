import {
  delay,
  type RedisServer,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
  waitFor,
} from '@hitpool/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHitTracker, defaultHitKey } from '../src/index.js';

// What hit counts promise across a dropped connection, with ioredis's default
// autoResendUnfulfilledCommands: at least once. Never lost, possibly counted twice.
let server: RedisServer;
let proxy: TcpProxy;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startTcpProxy(server.port);
  redis = new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 20 });
  redis.on('error', () => undefined);
  await redis.ping();
});
afterAll(async () => {
  redis.disconnect();
  await proxy.close();
  await server.close();
});

describe('a connection drop while a hit is in flight', () => {
  it('does not lose a hit that never reached the server (it is resent)', async () => {
    const hits = createHitTracker({ redis });
    expect(await hits.hit('lost')).toBe(1);
    proxy.blackhole(true);
    const pending = hits.hit('lost');
    await delay(50);
    proxy.resetConnections();
    proxy.blackhole(false);
    expect(await pending).toBe(2);
    await hits.close();
  });

  it('counts twice a hit the server ran but could not answer (documented: at least once)', async () => {
    const hits = createHitTracker({ redis });
    expect(await hits.hit('twice')).toBe(1);
    server.freeze();
    const pending = hits.hit('twice');
    await delay(50);
    // The INCR sits in the frozen server's socket; the client's connection dies unanswered.
    proxy.resetConnections();
    await waitFor('the client to reconnect', () => proxy.stats.open > 0, 5000, 10);
    server.thaw();
    expect(await pending).toBe(3);
    expect(await redis.get(defaultHitKey('twice'))).toBe('3');
    await redis.del(defaultHitKey('twice'), defaultHitKey('lost'));
    await hits.close();
  });
});
