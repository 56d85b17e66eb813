import { describe, expect, it } from 'vitest';
import { ConnectionBag, ConnectionState } from './bag.js';
import type { PoolConnection } from './connection.js';

let ids = 0;
/** The bag reads only `id`, `state` and `idleSince`; a stand-in needs no socket. */
function connection(): PoolConnection {
  return { id: ++ids, state: ConnectionState.Opening, idleSince: 0 } as unknown as PoolConnection;
}

function opened(bag: ConnectionBag): PoolConnection {
  bag.reserve();
  const c = connection();
  bag.add(c);
  return c;
}

const counts = (bag: ConnectionBag) => ({
  size: bag.size,
  open: bag.open,
  opening: bag.opening,
  idle: bag.idle,
  borrowed: bag.borrowed,
  cleaning: bag.cleaning,
});

describe('ConnectionBag', () => {
  it('derives every size from the states of its connections', () => {
    const bag = new ConnectionBag();
    bag.reserve();
    bag.reserve();
    expect(counts(bag)).toEqual({
      size: 2,
      open: 0,
      opening: 2,
      idle: 0,
      borrowed: 0,
      cleaning: 0,
    });
    bag.cancel();
    const a = connection();
    bag.add(a);
    expect(counts(bag)).toMatchObject({ size: 1, opening: 1 });
    bag.requite(a, 5);
    expect(a).toMatchObject({ state: ConnectionState.Idle, idleSince: 5 });
    expect(counts(bag)).toEqual({
      size: 1,
      open: 1,
      opening: 0,
      idle: 1,
      borrowed: 0,
      cleaning: 0,
    });
    expect(bag.borrow()).toBe(a);
    expect(counts(bag)).toMatchObject({ idle: 0, borrowed: 1 });
    bag.validate(a);
    expect(counts(bag)).toMatchObject({ borrowed: 1 });
    bag.lend(a);
    bag.clean(a);
    expect(counts(bag)).toMatchObject({ borrowed: 0, cleaning: 1, size: 1 });
    bag.lend(a);
    expect(counts(bag)).toMatchObject({ borrowed: 1, cleaning: 0 });
    expect(bag.remove(a)).toBe(true);
    expect(bag.remove(a)).toBe(false);
    expect(a.state).toBe(ConnectionState.Removed);
    expect(counts(bag)).toEqual({
      size: 0,
      open: 0,
      opening: 0,
      idle: 0,
      borrowed: 0,
      cleaning: 0,
    });
  });

  it('lends the most recently parked connection first and removes idle ones from anywhere', () => {
    const bag = new ConnectionBag();
    const [a, b, c] = [opened(bag), opened(bag), opened(bag)] as [
      PoolConnection,
      PoolConnection,
      PoolConnection,
    ];
    bag.requite(a, 1);
    bag.requite(b, 2);
    bag.requite(c, 3);
    expect(bag.idleConnections).toEqual([a, b, c]);
    expect(bag.remove(b)).toBe(true);
    expect(bag.idleConnections).toEqual([a, c]);
    expect(bag.borrow()).toBe(c);
    expect(bag.borrow()).toBe(a);
    expect(bag.borrow()).toBeUndefined();
    expect(bag.liveConnections()).toEqual([a, c]);
  });

  it('never brings a removed connection back', () => {
    const bag = new ConnectionBag();
    const a = opened(bag);
    bag.remove(a);
    expect(() => bag.requite(a, 0)).toThrow(/removed/);
    expect(bag.idle).toBe(0);
  });
});
