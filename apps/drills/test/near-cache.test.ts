import { createPool } from '@hitpool/pool';
import { type RedisServer, randomPrefix, startRedisServer, waitFor } from '@hitpool/testing';
import { afterAll, beforeAll } from 'vitest';
import { keyNames } from '../src/data.js';
import { drill } from '../src/runner.js';
import { DRILL_POOL, killAndRestart } from './common.js';
import {
  cacheFigures,
  cacheSubject,
  expectCacheCorrect,
  trackingAgain,
  writeRounds,
} from './near-cache-subject.js';

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
    await waitFor('values cached', () => (subject.tracker.stats().cache?.size ?? 0) >= 50);
    await killAndRestart(server, 2_000, context);
    await waitFor('the writer back', () =>
      subject.writer.ping().then(
        () => true,
        () => false,
      ),
    );
    await trackingAgain(subject, context);
    await writeRounds(subject, 5);
    context.mark('new values read');
  },
  recoverFrom: 'server back',
  measure: cacheFigures,
  assert: (_, figures, subject) => expectCacheCorrect(figures, subject),
});
