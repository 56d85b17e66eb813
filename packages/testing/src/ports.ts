import { createServer } from 'node:net';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free loopback port. With `withBusPort`, `port + 10000` is free too, as a
 * Cluster node needs for its bus; the range keeps that below 65536.
 */
export async function freePort(options: { withBusPort?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const candidate = options.withBusPort ? 20000 + Math.floor(Math.random() * 30000) : 0;
    const port = await tryListen(candidate);
    if (port === undefined) continue;
    if (!options.withBusPort || (await tryListen(port + 10000)) !== undefined) return port;
  }
  throw new Error('no free loopback port found after 200 attempts');
}
