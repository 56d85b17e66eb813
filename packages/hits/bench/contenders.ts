import type { Contender, KeySource } from '@hitpool/workload';
import type { Cluster, Redis } from 'ioredis';
import { defaultHitKey, type HitTracker } from '../src/index.js';

/** Names shared by the tables, the goals and the JSON. */
export const NAMES: {
  readonly promiseAll: string;
  readonly getOnly: string;
  readonly seed: string;
  readonly hitsPool: string;
  readonly hitsIoredis: string;
  readonly full: string;
  readonly buffered: string;
  readonly atomic: string;
  readonly clusterPromiseAll: string;
  readonly clusterHitsPool: string;
  readonly clusterHitsIoredis: string;
} = {
  promiseAll: 'ioredis Promise.all([get(k), incr(defaultHitKey(k))])',
  getOnly: 'ioredis get(k), no counting (ceiling)',
  seed: 'seed: ioredis pipeline().get(k).incr(k_hit).exec()',
  hitsPool: 'hits.get, tracker over createPool({ url })',
  hitsIoredis: 'hits.get, tracker over the ioredis client',
  full: 'hits.get + windows, uniques, leaderboard (pool)',
  buffered: 'hits.get, buffer: {} (pool)',
  atomic: "hits.get, mode: 'atomic' (pool)",
  clusterPromiseAll: 'ioredis Cluster Promise.all([get(k), incr(defaultHitKey(k))])',
  clusterHitsPool: 'hits.get, tracker over createPool({ cluster })',
  clusterHitsIoredis: 'hits.get, tracker over the ioredis Cluster',
};

/** What the standalone contenders run on. */
export interface StandaloneClients {
  /** Plain ioredis, `enableAutoPipelining: true`, no `commandTimeout`: the peers' client. */
  peer: Redis;
  /** Tracker over a `createPool({ url })`. */
  hitsPool: HitTracker;
  /** Tracker over `peer`. */
  hitsIoredis: HitTracker;
  /** Tracker with windows, uniques and leaderboard, over the pool. */
  full: HitTracker;
  /** Tracker with `buffer: {}`, over the pool. */
  buffered: HitTracker;
  /** Tracker with `mode: 'atomic'`, over the pool. */
  atomic: HitTracker;
}

/**
 * The contenders for one workload, peers first. `keys()` makes a fresh key source per
 * contender, so each walks the same sequence. `seed` adds the seed-style pipeline peer.
 */
export function standaloneContenders(
  clients: StandaloneClients,
  keys: () => KeySource,
  seed: boolean,
): Contender[] {
  const { peer } = clients;
  const withKeys = (name: string, call: (key: string) => Promise<unknown>): Contender => {
    const source = keys();
    return { name, call: () => call(source.next()) };
  };
  let visitor = 0;
  return [
    withKeys(NAMES.promiseAll, (k) => Promise.all([peer.get(k), peer.incr(defaultHitKey(k))])),
    withKeys(NAMES.getOnly, (k) => peer.get(k)),
    ...(seed ? [withKeys(NAMES.seed, (k) => peer.pipeline().get(k).incr(`${k}_hit`).exec())] : []),
    withKeys(NAMES.hitsPool, (k) => clients.hitsPool.get(k)),
    withKeys(NAMES.hitsIoredis, (k) => clients.hitsIoredis.get(k)),
    withKeys(NAMES.full, (k) => clients.full.get(k, { visitor: `v${visitor++ % 100_000}` })),
    {
      ...withKeys(NAMES.buffered, (k) => clients.buffered.get(k)),
      // Hits still pending at the end of a round are written (and counted) in its own round.
      settle: () => clients.buffered.flush(),
    },
    withKeys(NAMES.atomic, (k) => clients.atomic.get(k)),
  ];
}

/** The Cluster contenders: the hand-written peer, then the trackers. */
export function clusterContenders(
  peer: Cluster,
  hitsPool: HitTracker,
  hitsIoredis: HitTracker,
  keys: () => KeySource,
): Contender[] {
  const withKeys = (name: string, call: (key: string) => Promise<unknown>): Contender => {
    const source = keys();
    return { name, call: () => call(source.next()) };
  };
  return [
    withKeys(NAMES.clusterPromiseAll, (k) =>
      Promise.all([peer.get(k), peer.incr(defaultHitKey(k))]),
    ),
    withKeys(NAMES.clusterHitsPool, (k) => hitsPool.get(k)),
    withKeys(NAMES.clusterHitsIoredis, (k) => hitsIoredis.get(k)),
  ];
}
