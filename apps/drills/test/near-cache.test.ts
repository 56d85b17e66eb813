import { createPool } from '@hitpool/pool';
import { type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { afterAll, beforeAll } from 'vitest';
import { keyNames } from '../src/data.js';
import { drill } from '../src/runner.js';
import { afterTheFault, allCached, CACHE_CHECKS, cacheSubject } from './cache-drill.js';
import { DRILL_POOL, killAndRestart } from './common.js';

let server: RedisServer;

beforeAll(async () => {
  // fsync on every write: buffered hits acknowledged before the kill are not lost by Redis.
  server = await startRedisServer({ config: { appendonly: 'yes', appendfsync: 'always' } });
});

afterAll(async () => {
  await server?.close();
});

drill('11a near cache: kill -9 with cached values, back after 2 s, then new values', {
  setup: (context) =>
    cacheSubject(
      createPool({ url: server.url, ...DRILL_POOL }),
      server.connect(),
      keyNames(randomPrefix('near'), 50),
      context,
    ),
  tailMs: 500,
  async scenario(context, subject) {
    await allCached(subject);
    await killAndRestart(server, 2_000, context);
    await waitFor('the writer back', () =>
      subject.writer.ping().then(
        () => true,
        () => false,
      ),
    );
    await afterTheFault(subject, context, 5);
  },
  recoverFrom: 'server back',
  ...CACHE_CHECKS,
});
