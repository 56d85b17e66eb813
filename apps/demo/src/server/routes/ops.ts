import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { redisFailure } from '../errors.js';

/** How long `/readyz` waits for PING, ms. */
const READY_TIMEOUT_MS = 1000;

function pingWithin(ctx: AppContext, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no PONG within ${ms} ms`)), ms);
  });
  return Promise.race([ctx.pool.client.ping(), timeout]).finally(() => clearTimeout(timer));
}

/** `/healthz` (process up), `/readyz` (Redis answers), `/metrics` (Prometheus text). */
export function opsRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    try {
      await pingWithin(ctx, READY_TIMEOUT_MS);
      return { status: 'ready' };
    } catch (error) {
      const failure = redisFailure(error);
      return reply
        .code(failure.statusCode === 500 ? 503 : failure.statusCode)
        .send(failure.toJSON());
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(ctx.metrics.contentType);
    return ctx.metrics.render();
  });
}
