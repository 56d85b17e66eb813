import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError, redisFailure } from '../errors.js';
import { generateLoad, MAX_LOAD_CALLS } from '../load.js';
import { parseKey, parseTopN, parseValue } from '../validation.js';
import { visitorFrom } from '../visitor.js';

async function redis<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw redisFailure(error);
  }
}

/** `/api/*`: items, top keys, stats, and the load button's endpoint. */
export function apiRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { key: string } }>('/api/items/:key', async (request, reply) => {
    const key = parseKey(request.params.key, ctx.itemKey);
    const visitor = visitorFrom(request.headers.cookie);
    if (visitor.setCookie) reply.header('set-cookie', visitor.setCookie);
    const result = await redis(ctx.tracker.get(ctx.itemKey(key), { visitor: visitor.id }));
    return {
      key,
      value: result.value,
      hits: result.hits,
      windows: result.windows ?? {},
      uniques: result.uniques ?? 0,
    };
  });

  app.put<{ Params: { key: string } }>('/api/items/:key', async (request) => {
    const key = parseKey(request.params.key, ctx.itemKey);
    const value = parseValue(request.body);
    await redis(ctx.pool.client.set(ctx.itemKey(key), value));
    return { key, bytes: Buffer.byteLength(value, 'utf8') };
  });

  app.get<{ Querystring: { n?: string } }>('/api/top', async (request) => {
    const n = parseTopN(request.query.n);
    const top = await redis(ctx.tracker.top(n));
    return {
      top: top.flatMap(({ key, hits }) => {
        const item = ctx.keyOfItem(key);
        return item === undefined ? [] : [{ key: item, hits }];
      }),
    };
  });

  app.get('/api/stats', async () => ({
    pool: ctx.pool.stats(),
    // The tracker's commands share this one multiplexed connection; leases are for the rest.
    sharedClient: { status: ctx.pool.client.status },
    tracker: ctx.tracker.stats(),
  }));

  app.post<{ Querystring: { calls?: string } }>('/api/load', async (request) => {
    const raw = request.query.calls ?? '2000';
    const calls = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(calls) || calls < 1 || calls > MAX_LOAD_CALLS) {
      throw new ApiError(
        400,
        'INVALID_BODY',
        `calls must be an integer from 1 to ${MAX_LOAD_CALLS}; got "${raw}"`,
      );
    }
    return generateLoad(ctx.tracker, ctx.itemKey, calls);
  });
}
