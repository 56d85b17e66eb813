import { Redis } from 'ioredis';
import type { RedisClientOptions } from './types.js';

/** Stops watching. */
export type StopWatching = () => Promise<void>;

/**
 * Subscribe to `+switch-master` on every sentinel and call `onSwitch` when the watched
 * master moves. After a failover the demoted master keeps accepting connections (and, until
 * Sentinel reconfigures it, writes) for seconds; a pool must not keep lending connections
 * to it. One subscriber per sentinel, shared by all of a pool's connections.
 */
export function watchSentinels(options: RedisClientOptions, onSwitch: () => void): StopWatching {
  const masterName = options.name ?? 'mymaster';
  const subscribers = (options.sentinels ?? []).map((address) => {
    const subscriber = new Redis({
      host: address.host ?? '127.0.0.1',
      port: address.port ?? 26379,
      ...(options.sentinelUsername ? { username: options.sentinelUsername } : {}),
      ...(options.sentinelPassword ? { password: options.sentinelPassword } : {}),
      ...(options.sentinelTLS ? { tls: options.sentinelTLS } : {}),
      connectTimeout: options.connectTimeout ?? 5_000,
      // Sentinels come and go; keep trying quietly, without ever queueing commands.
      retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === '+switch-master' && message.split(' ')[0] === masterName) onSwitch();
    });
    subscriber.subscribe('+switch-master').catch(() => {});
    return subscriber;
  });
  return async () => {
    await Promise.all(
      subscribers.map(
        (subscriber) =>
          new Promise<void>((resolve) => {
            if (subscriber.status === 'end') return resolve();
            subscriber.once('end', () => resolve());
            subscriber.disconnect();
          }),
      ),
    );
  };
}
