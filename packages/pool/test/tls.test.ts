import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, type RedisServer, startRedisServer } from '@hitpool/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../src/index.js';

const execFileAsync = promisify(execFile);

describe('TLS (rediss://)', () => {
  let dir: string;
  let server: RedisServer;
  let tlsPort: number;
  let ca: string;
  beforeAll(async () => {
    // A throwaway self-signed certificate for localhost; it is its own CA.
    dir = mkdtempSync(join(tmpdir(), 'hitpool-pool-tls-'));
    await execFileAsync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    tlsPort = await freePort();
    server = await startRedisServer({
      password: 'tls-secret',
      config: {
        'tls-port': tlsPort,
        'tls-cert-file': join(dir, 'cert.pem'),
        'tls-key-file': join(dir, 'key.pem'),
        'tls-ca-cert-file': join(dir, 'cert.pem'),
        'tls-auth-clients': 'no',
      },
    });
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects the client and leases over TLS, verifying the server certificate', async () => {
    const pool = createPool({
      url: `rediss://:tls-secret@localhost:${tlsPort}/2`,
      redis: { tls: { ca } },
    });
    try {
      expect(await pool.client.set('tls:k', 'v')).toBe('OK');
      const info = await pool.use(async (redis) => {
        await redis.call('CLIENT', 'SETNAME', 'dirty'); // forces a RESET over TLS on release
        return String(await redis.call('CLIENT', 'INFO'));
      });
      expect(info).toContain(`laddr=127.0.0.1:${tlsPort}`);
      expect(info).toContain('db=2');
      expect(await pool.use((redis) => redis.get('tls:k'))).toBe('v');
      expect(pool.stats()).toMatchObject({ resets: 1, created: 1 });
    } finally {
      await pool.close();
    }
  });

  it('rejects within acquireTimeoutMs naming the certificate problem when the CA is not trusted', async () => {
    const pool = createPool({
      url: `rediss://:tls-secret@localhost:${tlsPort}/0`,
      acquireTimeoutMs: 500,
    });
    try {
      await expect(pool.acquire()).rejects.toMatchObject({
        code: 'POOL_ACQUIRE_TIMEOUT',
        message: expect.stringMatching(/self[- ]signed certificate/i),
      });
    } finally {
      await pool.close();
    }
  });
});
