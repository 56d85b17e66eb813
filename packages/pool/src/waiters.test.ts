import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Waiter, WaiterQueue } from './waiters.js';

type Outcome = { value?: number; reason?: unknown };

function waiter(
  deadline = Date.now() + 60_000,
  signal?: AbortSignal,
): { waiter: Waiter<number>; outcome: Outcome } {
  const outcome: Outcome = {};
  const created = new Waiter<number>(
    Date.now(),
    deadline,
    undefined,
    0,
    signal,
    (value) => {
      outcome.value = value;
    },
    (reason) => {
      outcome.reason = reason;
    },
  );
  return { waiter: created, outcome };
}

function queue(onExpired: (w: Waiter<number>) => void = (w) => w.fail('expired')) {
  return new WaiterQueue<number>((w) => onExpired(w));
}

describe('WaiterQueue', () => {
  it('serves first come, first served and skips waiters that settled while queued', () => {
    const q = queue();
    const [a, b, c] = [waiter(), waiter(), waiter()].map((w) => w.waiter);
    q.push(a as Waiter<number>);
    q.push(b as Waiter<number>);
    q.push(c as Waiter<number>);
    b?.fail('aborted');
    expect(q.size).toBe(2);
    expect(q.shift()).toBe(a);
    expect(q.shift()).toBe(c);
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
    expect(q.timing).toBe(false);
  });

  it('does not count a waiter that is not queued (e.g. settled during a validation PING)', () => {
    const q = queue();
    const outside = waiter().waiter;
    q.push(waiter().waiter);
    outside.fail('gone');
    expect(outside.settled).toBe(true);
    expect(q.size).toBe(1);
    q.failAll('closed');
  });

  it('stays correct across compaction with thousands of waiters', () => {
    const q = queue();
    const all = Array.from({ length: 5_000 }, () => waiter().waiter);
    for (const w of all) q.push(w);
    for (let i = 0; i < 3_000; i++) expect(q.shift()).toBe(all[i]);
    // Settling after compaction still finds the right slot.
    all[4_000]?.fail('aborted');
    q.push(waiter().waiter);
    let count = 0;
    q.forEach(() => {
      count++;
    });
    expect(count).toBe(2_000);
    expect(q.size).toBe(2_000);
    expect(q.shift()).toBe(all[3_000]);
    q.failAll('closed');
    expect(q.timing).toBe(false);
  });

  it('arms one timer for the earliest deadline, expires waiters, and stops once empty', async () => {
    const expired: Waiter<number>[] = [];
    const q = queue((w) => {
      expired.push(w);
      w.fail('timeout');
    });
    const late = waiter(Date.now() + 10_000);
    const soon = waiter(Date.now() + 20);
    q.push(late.waiter);
    q.push(soon.waiter);
    expect(q.timing).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(expired).toEqual([soon.waiter]);
    expect(soon.outcome.reason).toBe('timeout');
    // Still armed for the late one; gone as soon as it settles.
    expect(q.timing).toBe(true);
    late.waiter.fulfil(7);
    expect(late.outcome.value).toBe(7);
    expect(q.size).toBe(0);
    expect(q.timing).toBe(false);
  });
});

describe('Waiter', () => {
  it('settles once, whoever settles it, and always removes its abort listener', () => {
    for (const settle of [
      (w: Waiter<number>) => w.fulfil(1),
      (w: Waiter<number>) => w.fail(new Error('pool closed')),
    ]) {
      const controller = new AbortController();
      const { waiter: w, outcome } = waiter(undefined, controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      expect(settle(w)).toBe(true);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(w.fail('again')).toBe(false);
      expect(w.fulfil(2)).toBe(false);
      controller.abort();
      expect(outcome.reason === 'again' || outcome.value === 2).toBe(false);
    }
  });

  it('rejects with the signal reason on abort and leaves its queue', () => {
    const q = queue();
    const controller = new AbortController();
    const { waiter: w, outcome } = waiter(undefined, controller.signal);
    q.push(w);
    controller.abort(new Error('gone'));
    expect(outcome.reason).toEqual(new Error('gone'));
    expect(q.size).toBe(0);
    expect(q.timing).toBe(false);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
