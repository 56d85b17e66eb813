/**
 * The contract between the transport and ioredis: every internal member `src/transport/`
 * relies on, checked on the installed ioredis. CI also runs this file against the newest
 * ioredis 6.x release, so an upgrade that renames or reshapes a member fails here, naming it,
 * instead of silently in production.
 */
import { Cluster, Command, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PoolUnsupportedClientError } from '../src/index.js';
import {
  assertContract,
  IOREDIS_CONTRACT,
  IOREDIS_VERSION,
  missingMembers,
  protocolOf,
  queuedReplies,
  redisInternals,
} from '../src/transport/ioredis-internals.js';
import { ownServer } from './helpers.js';

const server = ownServer();

const lazyRedis = () => new Redis({ lazyConnect: true });
const lazyCluster = () => new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });

describe(`ioredis ${IOREDIS_VERSION}: members checked on a fresh object`, () => {
  const targets = {
    redis: lazyRedis,
    cluster: lazyCluster,
    command: () => new Command('get', ['contract-probe']),
  } as const;
  for (const [kind, members] of Object.entries(IOREDIS_CONTRACT)) {
    for (const entry of members) {
      if (entry.check === null) continue;
      it(`${entry.member} (${entry.use})`, () => {
        const target = targets[kind as keyof typeof targets]();
        expect(
          entry.check?.(target),
          `ioredis ${IOREDIS_VERSION}: ${entry.member} is missing or changed`,
        ).toBe(true);
      });
    }
  }

  it('assertContract accepts the installed ioredis and names what a client lacks', () => {
    expect(() => assertContract(lazyRedis())).not.toThrow();
    expect(() => assertContract(lazyCluster())).not.toThrow();
    const crippled = lazyRedis();
    Object.defineProperty(crippled, 'commandQueue', { value: undefined });
    expect(missingMembers('redis', crippled)).toEqual(['Redis#commandQueue']);
    const error = (() => {
      try {
        assertContract(crippled);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PoolUnsupportedClientError);
    expect(error).toMatchObject({
      code: 'POOL_UNSUPPORTED_CLIENT',
      members: ['Redis#commandQueue'],
    });
    expect(String((error as Error).message)).toContain(`ioredis ${IOREDIS_VERSION}`);
  });
});

describe(`ioredis ${IOREDIS_VERSION}: members only a live connection shows`, () => {
  it('Redis#condition: the protocol a connection negotiated', async () => {
    const redis = server().connect();
    await redis.ping();
    expect([2, 3], 'Redis#condition.protocol').toContain(protocolOf(redis));
    await redis.quit();
  });

  it('Redis#commandQueue and #offlineQueue hold { command } entries in order', async () => {
    const redis = server().connect({ lazyConnect: true });
    const internals = redisInternals(redis);
    const waiting = redis.get('contract:offline');
    expect(internals.offlineQueue.length, 'Redis#offlineQueue').toBe(1);
    expect(internals.offlineQueue.peekFront()?.command.name, 'Redis#offlineQueue entry').toBe(
      'get',
    );
    await waiting;
    await server().clientPause(300);
    const first = redis.get('contract:a');
    const second = redis.get('contract:b');
    expect(queuedReplies(redis), 'Redis#commandQueue.length').toBe(2);
    expect(internals.commandQueue.peekAt(1)?.command.args, 'Redis#commandQueue entry').toEqual([
      'contract:b',
    ]);
    await Promise.all([first, second]);
    expect(queuedReplies(redis)).toBe(0);
    await redis.quit();
  });

  it("Redis#prevCommandQueue: written, unanswered commands of a socket that closed, on 'close'", async () => {
    const redis = server().connect({ autoResendUnfulfilledCommands: false });
    await redis.ping();
    await server().clientPause(500);
    const lost = redis.get('contract:lost').catch((error: unknown) => error);
    const seen = new Promise<string[]>((resolve) => {
      redis.once('close', () => {
        // What the pool's guard does on 'close': take them out and reject them.
        const internals = redisInternals(redis);
        const queue = internals.prevCommandQueue;
        internals.prevCommandQueue = null;
        const names: string[] = [];
        for (let item = queue?.shift(); item; item = queue?.shift()) {
          names.push(item.command.name);
          item.command.reject(new Error('lost'));
        }
        resolve(names);
      });
    });
    redisInternals(redis).stream?.destroy();
    expect(await seen, 'Redis#prevCommandQueue').toEqual(['get']);
    expect(await lost).toMatchObject({ message: 'lost' });
    redis.disconnect();
  });
});
