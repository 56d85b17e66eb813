import { Redis } from 'ioredis';

/** A separate connection that watches the server while scenarios run. */
export interface ServerProbe {
  /** `connected_clients` from INFO clients. */
  connectedClients(): Promise<number>;
  /**
   * Requests the server read while `fn` ran: `total_reads_processed`, less the
   * probe's own and the close of each connection opened meanwhile. One client
   * calling in sequence makes one read per round trip, so this counts round trips.
   */
  countReads(fn: () => Promise<void>): Promise<number>;
  /** Poll `connected_clients` every `intervalMs` until `stop()`, which resolves to the peak. */
  watchPeak(intervalMs?: number): { stop(): Promise<number> };
  close(): Promise<void>;
}

function field(info: string, name: string): number {
  const match = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return match ? Number(match[1]) : 0;
}

/** Open the probe connection (fails if Redis does not answer). */
export async function openProbe(url: string): Promise<ServerProbe> {
  const redis = new Redis(url, {
    connectionName: 'hitpool-demo-probe',
    maxRetriesPerRequest: 1,
    disableClientInfo: true,
    retryStrategy: (attempt) => (attempt > 3 ? null : 100),
  });
  redis.on('error', () => undefined);
  await redis.ping();
  const connectedClients = async () => field(await redis.info('clients'), 'connected_clients');
  return {
    connectedClients,
    async countReads(fn) {
      const sample = async () => {
        const info = await redis.info('stats');
        return {
          reads: field(info, 'total_reads_processed'),
          connections: field(info, 'total_connections_received'),
        };
      };
      const before = await sample();
      await fn();
      const after = await sample();
      // Less the read of the first INFO itself, and less one read per connection
      // opened meanwhile: the server counts the read that sees a socket close too.
      return after.reads - before.reads - 1 - (after.connections - before.connections);
    },
    watchPeak(intervalMs = 20) {
      let peak = 0;
      let running = true;
      const loop = (async () => {
        while (running) {
          try {
            peak = Math.max(peak, await connectedClients());
          } catch {
            // a missed sample under overload is fine; the next one counts
          }
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      })();
      return {
        async stop() {
          running = false;
          await loop;
          return peak;
        },
      };
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
