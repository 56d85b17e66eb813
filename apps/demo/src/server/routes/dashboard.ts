import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const file = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url), 'utf8');

/** `/` and its script: plain files, read once, no build step. */
export function dashboardRoutes(app: FastifyInstance): void {
  const page = file('index.html');
  const script = file('dashboard.js');
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/dashboard.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(script),
  );
}
