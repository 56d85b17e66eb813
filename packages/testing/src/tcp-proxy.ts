import { connect, createServer, type Socket } from 'node:net';

/** Counters of a {@link TcpProxy}. */
export interface TcpProxyStats {
  /** Client connections accepted. */
  connections: number;
  /** Client connections open now. */
  open: number;
  /**
   * Request/response turns: each time a client sends after the server last
   * spoke on that connection (or first). One pipelined call is one turn.
   */
  roundTrips: number;
  bytesToServer: number;
  bytesToClient: number;
}

/** A TCP proxy on loopback between a client and a server, for counting and breaking traffic. */
export interface TcpProxy {
  readonly port: number;
  readonly stats: Readonly<TcpProxyStats>;
  /** Zero the counters (not `open`). */
  resetStats(): void;
  /** While on, accept and read connections but forward nothing either way. */
  blackhole(on: boolean): void;
  /** Reset (RST) every open connection. */
  resetConnections(): void;
  /** While on, refuse new connections by resetting them at once. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

/** Start a proxy on a free loopback port forwarding to `targetPort`. */
export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  const stats: TcpProxyStats = {
    connections: 0,
    open: 0,
    roundTrips: 0,
    bytesToServer: 0,
    bytesToClient: 0,
  };
  const pairs = new Set<[Socket, Socket]>();
  let blackholed = false;
  let refusing = false;

  const server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    stats.connections++;
    stats.open++;
    const upstream = connect({ host: targetHost, port: targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    let serverSpokeLast = true;
    client.on('data', (chunk) => {
      if (blackholed) return;
      if (serverSpokeLast) stats.roundTrips++;
      serverSpokeLast = false;
      stats.bytesToServer += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (blackholed) return;
      serverSpokeLast = true;
      stats.bytesToClient += chunk.length;
      client.write(chunk);
    });
    const teardown = () => {
      if (!pairs.delete(pair)) return;
      stats.open--;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', teardown);
    upstream.on('close', teardown);
    client.on('error', teardown);
    upstream.on('error', teardown);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy did not bind');

  return {
    port: address.port,
    stats,
    resetStats() {
      stats.connections = 0;
      stats.roundTrips = 0;
      stats.bytesToServer = 0;
      stats.bytesToClient = 0;
    },
    blackhole(on) {
      blackholed = on;
    },
    refuse(on) {
      refusing = on;
    },
    resetConnections() {
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
