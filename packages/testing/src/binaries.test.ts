import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { findRedisServer } from './binaries.js';

it('finds no redis-server on an empty PATH, and prefers REDIS_SERVER', () => {
  expect(findRedisServer({ PATH: '' })).toBeUndefined();
  expect(findRedisServer({ PATH: '', REDIS_SERVER: '/opt/redis/bin/redis-server' })).toBe(
    '/opt/redis/bin/redis-server',
  );
});

it('takes the first executable redis-server on PATH and passes over one that is not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hitpool-binaries-'));
  try {
    const binary = join(dir, 'redis-server');
    writeFileSync(binary, '#!/bin/sh\n');
    chmodSync(binary, 0o644);
    expect(findRedisServer({ PATH: dir })).toBeUndefined();
    chmodSync(binary, 0o755);
    expect(findRedisServer({ PATH: `/nonexistent:${dir}` })).toBe(binary);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
