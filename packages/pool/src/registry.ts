import { createHash } from 'node:crypto';
import { Pool } from './pool.js';
import type { GetPoolOptions, RedisPool } from './types.js';

/**
 * The registry lives on `globalThis` under a `Symbol.for` key, so every copy of this module
 * in the process (hot reload, ESM and CJS side by side) shares one set of pools.
 */
const REGISTRY_KEY = Symbol.for('@hitpool/pool/registry@1');

interface Registry {
  pools: Map<string, RedisPool>;
}

function registry(): Registry {
  const global = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Registry };
  global[REGISTRY_KEY] ??= { pools: new Map() };
  return global[REGISTRY_KEY];
}

/** A stable fingerprint of options (key order does not matter; functions by source). */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'function') return `fn:${v.toString()}`;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

function registryName(options: GetPoolOptions): string {
  if (options.name !== undefined) return options.name;
  const { name: _name, ...rest } = options;
  if (Object.keys(rest).length === 0) return 'default';
  // Hashed, so a password in the options never shows up in the pool's name.
  return `pool-${createHash('sha256').update(fingerprint(rest)).digest('hex').slice(0, 12)}`;
}

/**
 * The process-wide pool for `name` (or for these exact options): created on first call,
 * the same object afterwards, even across module copies. The first call for a name decides
 * the options; later calls with that name get the same pool whatever they pass. A closed
 * pool is replaced. Throws `PoolConfigError` for bad options (first call only).
 */
export function getPool(options: GetPoolOptions = {}): RedisPool {
  const { pools } = registry();
  const name = registryName(options);
  const existing = pools.get(name);
  if (existing !== undefined && !existing.stats().closed) return existing;
  const { name: _name, ...poolOptions } = options;
  const pool = new Pool(poolOptions, name);
  pools.set(name, pool);
  return pool;
}

/** Close every pool `getPool` created (e.g. on SIGTERM) and forget them. */
export async function closeAllPools(): Promise<void> {
  const { pools } = registry();
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close()));
}
