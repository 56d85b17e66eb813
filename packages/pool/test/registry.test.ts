import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, it, vi } from 'vitest';
import { closeAllPools, getPool } from '../src/index.js';

const execFileAsync = promisify(execFile);

describe('getPool registry', () => {
  it('returns the same pool for the same name or the same options', async () => {
    const url = inject('redisUrl');
    try {
      const a = getPool({ name: 'registry-a', url });
      expect(getPool({ name: 'registry-a' })).toBe(a);
      expect(getPool({ name: 'registry-b', url })).not.toBe(a);
      const byOptions = getPool({ url, max: 3, acquireTimeoutMs: 100 });
      expect(getPool({ acquireTimeoutMs: 100, max: 3, url })).toBe(byOptions);
      expect(getPool({ url, max: 4 })).not.toBe(byOptions);
    } finally {
      await closeAllPools();
    }
  });

  it('is shared by two copies of the module (hot reload, ESM + CJS side by side)', async () => {
    const url = inject('redisUrl');
    // After resetModules the same import evaluates a second, independent copy of the package.
    vi.resetModules();
    const copy = await import('../src/index.js');
    expect(copy.getPool).not.toBe(getPool);
    try {
      const mine = getPool({ name: 'shared', url });
      expect(copy.getPool({ name: 'shared', url })).toBe(mine);
      await copy.closeAllPools();
      expect(mine.stats().closed).toBe(true);
      expect(getPool({ name: 'shared', url })).not.toBe(mine);
    } finally {
      await closeAllPools();
    }
  });

  it('is shared by an ESM copy and a CJS copy loaded side by side in one process', async () => {
    const script = fileURLToPath(new URL('./fixtures/esm-and-cjs.ts', import.meta.url));
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', script, inject('redisUrl')],
      { timeout: 10_000, cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    expect(JSON.parse(stdout)).toEqual({ separateCopies: true, samePool: true });
  });

  it('replaces a pool that was closed, and its name never contains the password', async () => {
    const url = inject('redisUrl').replace('redis://', 'redis://:hunter2@');
    const pool = getPool({ url });
    expect(pool.name).not.toContain('hunter2');
    await pool.close();
    expect(getPool({ url })).not.toBe(pool);
    await closeAllPools();
  });

  it('a script that closed its pools exits by itself (no timers or sockets left)', async () => {
    const script = fileURLToPath(new URL('./fixtures/exit-after-close.ts', import.meta.url));
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', script, inject('redisUrl')],
      { timeout: 10_000, cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    expect(JSON.parse(stdout)).toMatchObject({ closed: true, size: 0, borrowed: 0, leaks: 0 });
  });
});
