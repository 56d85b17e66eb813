import { describe, expect, it } from 'vitest';
import { type Waiter, WaiterQueue } from './waiters.js';

function waiter(id: number): Waiter<number> & { id: number } {
  return {
    id,
    resolve: () => {},
    reject: () => {},
    start: 0,
    deadline: 0,
    done: false,
    queued: false,
    stack: undefined,
    commandTimeoutMs: 0,
    signal: undefined,
    onAbort: undefined,
  };
}

describe('WaiterQueue', () => {
  it('serves first come, first served and skips settled waiters', () => {
    const queue = new WaiterQueue<number>();
    const [a, b, c] = [waiter(1), waiter(2), waiter(3)];
    queue.push(a);
    queue.push(b);
    queue.push(c);
    queue.settle(b);
    expect(queue.size).toBe(2);
    expect(queue.shift()).toBe(a);
    expect(queue.shift()).toBe(c);
    expect(queue.shift()).toBeUndefined();
    expect(queue.size).toBe(0);
  });

  it('does not count a waiter that is not queued (e.g. aborted during a validation PING)', () => {
    const queue = new WaiterQueue<number>();
    const outside = waiter(1);
    queue.push(waiter(2));
    queue.settle(outside);
    expect(outside.done).toBe(true);
    expect(queue.size).toBe(1);
  });

  it('stays correct across compaction with thousands of waiters', () => {
    const queue = new WaiterQueue<number>();
    const all = Array.from({ length: 5_000 }, (_, i) => waiter(i));
    for (const w of all) queue.push(w);
    for (let i = 0; i < 3_000; i++) expect(queue.shift()).toBe(all[i]);
    queue.push(waiter(-1));
    let count = 0;
    queue.forEach(() => {
      count++;
    });
    expect(count).toBe(2_001);
    expect(queue.shift()).toBe(all[3_000]);
  });
});
