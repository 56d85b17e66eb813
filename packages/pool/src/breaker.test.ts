import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressOf, Breaker, type BreakerHost } from './breaker.js';

/** A breaker that reports only (failFast off: no probes, no timers beyond the stall check). */
function breakerWithLog(movable = false): { breaker: Breaker; changes: string[] } {
  const changes: string[] = [];
  const host: BreakerHost = {
    failFast: false,
    movable,
    attemptAge: () => -1,
    probe: () => Promise.resolve(undefined),
    changed: (_, health) => changes.push(health),
    redact: (error) => error,
  };
  return { breaker: new Breaker('127.0.0.1:1', host), changes };
}

/** The error of a real connect to a loopback port nothing listens on. */
async function refusedConnect(): Promise<Error> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const socket = connect(port, '127.0.0.1');
  const [error] = (await once(socket, 'error').catch((e: unknown) => [e])) as [Error];
  return error;
}

const refused = () => new Error('connect ECONNREFUSED 127.0.0.1:1');

describe('Breaker', () => {
  it('opens on the second failure in a row and closes on a success', () => {
    const { breaker, changes } = breakerWithLog();
    breaker.failure(refused());
    expect(breaker.health).toBe('up');
    breaker.failure(refused());
    expect(breaker.health).toBe('down');
    breaker.success();
    expect(breaker.health).toBe('up');
    expect(changes).toEqual(['down', 'up']);
    breaker.close();
  });

  it('ignores failures of attempts that began before the last success', () => {
    const { breaker, changes } = breakerWithLog();
    const before = Date.now() - 1_000;
    breaker.failure(refused());
    breaker.failure(refused());
    breaker.success();
    // Attempts under way before Redis answered again.
    breaker.failure(refused(), before);
    breaker.failure(refused(), before);
    expect(breaker.health).toBe('up');
    // Attempts begun since do count.
    breaker.failure(refused());
    breaker.failure(refused());
    expect(breaker.health).toBe('down');
    expect(changes).toEqual(['down', 'up', 'down']);
    breaker.close();
  });

  it('names the address a refused connect was aimed at', async () => {
    const error = await refusedConnect();
    expect(addressOf(error)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(addressOf(new Error('wrapped', { cause: error }))).toBe(addressOf(error));
    expect(addressOf(refused())).toBeUndefined();
  });

  it('a Sentinel master: ignores refusals at another address than the one that last answered', async () => {
    const oldMaster = await refusedConnect();
    const { breaker, changes } = breakerWithLog(true);
    breaker.failure(oldMaster);
    breaker.failure(oldMaster);
    expect(breaker.health).toBe('down');
    // The new master answered (a probe through a sentinel that has caught up)...
    breaker.success('127.0.0.1:1');
    // ...while a sentinel that has not still names the old one.
    breaker.failure(oldMaster);
    breaker.failure(oldMaster);
    expect(breaker.health).toBe('up');
    // Failures without an address, or at the master that answered, count.
    breaker.failure(new Error('All sentinels are unreachable.'));
    breaker.failure(Object.assign(refused(), { address: '127.0.0.1', port: 1 }));
    expect(breaker.health).toBe('down');
    expect(changes).toEqual(['down', 'up', 'down']);
    breaker.close();
  });

  it('a fixed endpoint counts refusals whatever their address', async () => {
    const elsewhere = await refusedConnect();
    const { breaker } = breakerWithLog(false);
    breaker.success('127.0.0.1:1');
    breaker.failure(elsewhere);
    breaker.failure(elsewhere);
    expect(breaker.health).toBe('down');
    breaker.close();
  });
});
