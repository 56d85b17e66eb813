import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { delay, freePort, type RedisServer, startRedisServer, waitFor } from '@hitpool/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, PoolTlsError, type RedisPool } from '../src/index.js';
import { timed } from './helpers.js';

const execFileAsync = promisify(execFile);
const openssl = (...args: string[]) => execFileAsync('openssl', args);

describe('TLS (rediss://)', () => {
  let dir: string;
  let server: RedisServer;
  let tlsPort: number;
  let ca: string;
  /** A server whose certificate, signed by `rootCa`, expired when it was made (`-days 0`). */
  let expired: RedisServer;
  let expiredPort: number;
  /** A server whose valid certificate is signed by `rootCa`; it sends the chain up to the root. */
  let chained: RedisServer;
  let chainedPort: number;
  let rootCa: string;
  let expiredAt: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hitpool-pool-tls-'));
    const file = (name: string) => join(dir, name);
    // A certificate that is its own CA, valid for a day.
    const selfSigned = (subject: string, keyFile: string, certFile: string, ...extra: string[]) =>
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        subject,
        ...extra,
        '-keyout',
        file(keyFile),
        '-out',
        file(certFile),
      );
    // A throwaway certificate for localhost.
    await selfSigned(
      '/CN=localhost',
      'key.pem',
      'cert.pem',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    );
    ca = readFileSync(file('cert.pem'), 'utf8');
    // A root CA and a leaf it signed that is valid for no time at all; the server sends both.
    await selfSigned('/CN=hitpool test root', 'root.key', 'root.pem');
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      file('leaf.key'),
      '-out',
      file('leaf.csr'),
    );
    writeFileSync(file('leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    rootCa = readFileSync(file('root.pem'), 'utf8');
    for (const [name, days] of [
      ['old', '0'],
      ['leaf', '1'],
    ] as const) {
      await openssl(
        'x509',
        '-req',
        '-in',
        file('leaf.csr'),
        '-CA',
        file('root.pem'),
        '-CAkey',
        file('root.key'),
        '-CAcreateserial',
        '-days',
        days,
        '-extfile',
        file('leaf.ext'),
        '-out',
        file(`${name}.pem`),
      );
      if (name === 'old') expiredAt = Date.now();
      writeFileSync(file(`${name}-chain.pem`), readFileSync(file(`${name}.pem`), 'utf8') + rootCa);
    }
    tlsPort = await freePort();
    server = await startRedisServer({
      password: 'tls-secret',
      config: {
        'tls-port': tlsPort,
        'tls-cert-file': file('cert.pem'),
        'tls-key-file': file('key.pem'),
        'tls-ca-cert-file': file('cert.pem'),
        'tls-auth-clients': 'no',
      },
    });
    const rootSigned = async (chain: string): Promise<[RedisServer, number]> => {
      const port = await freePort();
      const started = await startRedisServer({
        config: {
          'tls-port': port,
          'tls-cert-file': file(chain),
          'tls-key-file': file('leaf.key'),
          'tls-ca-cert-file': file('root.pem'),
          'tls-auth-clients': 'no',
        },
      });
      return [started, port];
    };
    [expired, expiredPort] = await rootSigned('old-chain.pem');
    [chained, chainedPort] = await rootSigned('leaf-chain.pem');
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    await expired?.close();
    await chained?.close();
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

  it('rediss://user:pw@127.0.0.1 verifies the IP without an SNI server name: Node prints no DEP0123', async () => {
    const script = fileURLToPath(new URL('./fixtures/tls-ip-url.ts', import.meta.url));
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        `rediss://default:tls-secret@127.0.0.1:${tlsPort}/0`,
        join(dir, 'cert.pem'),
      ],
      { timeout: 10_000, cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    const result = JSON.parse(stdout) as { client: string; lease: string; warnings: string[] };
    expect(result.client).toBe('PONG');
    expect(result.lease).toContain(`laddr=127.0.0.1:${tlsPort}`);
    expect(result.warnings).toEqual([]);
    expect(stderr).not.toContain('DEP0123');
  });

  /** Acquires, a client command and error events of a pool whose certificate check fails. */
  async function failFast(pool: RedisPool, reason: string): Promise<void> {
    const errors: Error[] = [];
    pool.on('error', (error) => errors.push(error));
    const outcomes = await Promise.all([0, 1, 2].map(() => timed(pool.acquire())));
    for (const { ms, error } of outcomes) {
      expect(error).toBeInstanceOf(PoolTlsError);
      expect(error).toMatchObject({ code: 'POOL_TLS_FAILED', name: 'PoolTlsError', reason });
      expect((error as Error).message).toContain(reason);
      expect((error as Error).message).not.toContain('tls-secret');
      expect((error as Error).cause).toBeInstanceOf(Error);
      // Far below acquireTimeoutMs (20 s): refused at once, not retried until a deadline.
      expect(ms).toBeLessThan(5_000);
    }
    expect(pool.stats()).toMatchObject({ pending: 0, timeouts: 0 });
    // Connections still opening for the other waiters fail the same way, and none is retried.
    await waitFor('the connection attempts to end', () => pool.stats().size === 0);
    const client = await timed(pool.client.get('k'));
    // The shared client's command says why too, not ioredis's "Connection is closed.".
    expect(client.error).toBeInstanceOf(PoolTlsError);
    expect(client.error).toMatchObject({ code: 'POOL_TLS_FAILED', reason });
    expect(client.ms).toBeLessThan(5_000);
    // The shared client stopped: no reconnect loop (it would retry every 50–500 ms).
    await delay(100);
    const seen = errors.length;
    await delay(700);
    expect(errors.length).toBe(seen);
    expect(pool.client.status).toBe('end');
  }

  it('an untrusted certificate fails at once with PoolTlsError (DEPTH_ZERO_SELF_SIGNED_CERT)', async () => {
    const pool = createPool({
      url: `rediss://:tls-secret@localhost:${tlsPort}/0`,
      acquireTimeoutMs: 20_000,
      commandTimeoutMs: 20_000,
    });
    try {
      await failFast(pool, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      await expect(pool.acquire()).rejects.toThrow(/redis: \{ tls: \{ ca \} \}/);
    } finally {
      await pool.close();
    }
  });

  it('a certificate for another name fails at once (ERR_TLS_CERT_ALTNAME_INVALID)', async () => {
    const pool = createPool({
      url: `rediss://:tls-secret@localhost:${tlsPort}/0`,
      redis: { tls: { ca, servername: 'redis.example.com' } },
      acquireTimeoutMs: 20_000,
      commandTimeoutMs: 20_000,
    });
    try {
      await failFast(pool, 'ERR_TLS_CERT_ALTNAME_INVALID');
      await expect(pool.acquire()).rejects.toThrow(/subjectAltName/);
    } finally {
      await pool.close();
    }
  });

  it('an expired certificate fails at once (CERT_HAS_EXPIRED), an untrusted chain too (SELF_SIGNED_CERT_IN_CHAIN)', async () => {
    // Valid until the second it was made: make sure that second is over.
    await delay(Math.max(0, expiredAt + 1_100 - Date.now()));
    const options = { acquireTimeoutMs: 20_000, commandTimeoutMs: 20_000 };
    const stale = createPool({
      url: `rediss://127.0.0.1:${expiredPort}/0`,
      redis: { tls: { ca: rootCa } },
      ...options,
    });
    const untrusted = createPool({ url: `rediss://127.0.0.1:${chainedPort}/0`, ...options });
    const trusted = createPool({
      url: `rediss://127.0.0.1:${chainedPort}/0`,
      redis: { tls: { ca: rootCa } },
    });
    try {
      await failFast(stale, 'CERT_HAS_EXPIRED');
      await expect(stale.acquire()).rejects.toThrow(/renew the server's certificate/);
      await failFast(untrusted, 'SELF_SIGNED_CERT_IN_CHAIN');
      // The same chain with its root trusted is fine.
      expect(await trusted.use((redis) => redis.ping())).toBe('PONG');
    } finally {
      await stale.close();
      await untrusted.close();
      await trusted.close();
    }
  });
});
