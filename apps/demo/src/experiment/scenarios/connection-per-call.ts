import { Redis } from 'ioredis';
import { hitKey, type Scenario } from './types.js';

/** 1: what the original code did: connect, GET, INCR, QUIT, for every call. */
export const connectionPerCall: Scenario = {
  id: 'connection-per-call',
  title: 'new connection per call',
  async open(url) {
    return {
      async call(key) {
        // No retries: a refused connection is a failed call, as it is for a user.
        // disableClientInfo: ioredis ignores CLIENT SETINFO's reply, which would hide the
        // server's "max number of clients reached" behind "Connection is closed".
        const redis = new Redis(url, {
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
          disableClientInfo: true,
        });
        redis.on('error', () => undefined);
        try {
          const value = await redis.get(key);
          await redis.incr(hitKey(key));
          return value;
        } finally {
          await redis.quit().catch(() => redis.disconnect());
        }
      },
      close: async () => undefined,
    };
  },
};
