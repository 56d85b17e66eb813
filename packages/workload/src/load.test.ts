import { expect, it } from 'vitest';
import { interleave } from './interleave.js';
import { runLoad } from './load.js';
import type { ServerSnapshot } from './server.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

it('runLoad counts successful calls and groups failures by message', async () => {
  let n = 0;
  const result = await runLoad({
    callers: 4,
    durationMs: 20,
    call: async () => {
      await tick();
      if (++n % 3 === 0) throw new Error('every third');
    },
  });
  const failed = result.errors.get('every third') ?? 0;
  expect(result.calls).toBeGreaterThan(0);
  expect(failed).toBeGreaterThan(0);
  expect(result.calls + failed).toBe(n);
  expect(result.callsPerSecond).toBeGreaterThan(0);
  expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
  expect(result.maxMs).toBeGreaterThanOrEqual(result.p99Ms);
});

it('runLoad groups failures with errorGroup when given', async () => {
  const result = await runLoad({
    callers: 2,
    durationMs: 5,
    call: async () => {
      await tick();
      throw new Error('connect ECONNREFUSED 127.0.0.1:1234');
    },
    errorGroup: (error) => String((error as Error).message).replace(/:\d+$/, ':<port>'),
  });
  expect([...result.errors.keys()]).toEqual(['connect ECONNREFUSED 127.0.0.1:<port>']);
  expect(result.calls).toBe(0);
  expect(result.p50Ms).toBe(0);
});

it('runLoad stops a loop that never yields to timers (microtasks only)', async () => {
  const result = await runLoad({ callers: 2, durationMs: 5, call: async () => undefined });
  expect(result.calls).toBeGreaterThan(0);
});

it('runLoad reports calls that never settle as pending instead of hanging', async () => {
  const result = await runLoad({
    callers: 3,
    durationMs: 50,
    settleMs: 100,
    call: (caller) => (caller === 0 ? new Promise(() => {}) : tick()),
  });
  expect(result.pending).toBe(1);
  expect(result.calls).toBeGreaterThan(0);
});

it('runLoad stops at the signal and shows every settled call to onCall with its caller and group', async () => {
  const controller = new AbortController();
  const seen: Array<{ caller: number; ok: boolean; group?: string }> = [];
  setTimeout(() => controller.abort(), 30);
  const started = performance.now();
  const result = await runLoad({
    callers: 2,
    durationMs: 10_000,
    thinkMs: 1,
    signal: controller.signal,
    call: async (caller) => {
      await tick();
      if (caller === 1) throw new Error('refused');
    },
    errorGroup: (error, caller) => `${caller}:${(error as Error).message}`,
    onCall: ({ caller, ok, group, startedAt, settledAt }) => {
      expect(settledAt).toBeGreaterThanOrEqual(startedAt);
      seen.push({ caller, ok, ...(group === undefined ? {} : { group }) });
    },
  });
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(seen.filter((call) => call.caller === 0).every((call) => call.ok)).toBe(true);
  expect(seen.filter((call) => call.caller === 1)).toContainEqual({
    caller: 1,
    ok: false,
    group: '1:refused',
  });
  expect(result.calls).toBe(seen.filter((call) => call.ok).length);
  expect(result.errors.get('1:refused')).toBe(seen.length - result.calls);
});

it('interleave runs every contender once per round, each round starting one later, and sums server figures', async () => {
  const order: string[] = [];
  let executed = 0;
  const snapshot = async (): Promise<ServerSnapshot> => ({
    commands: { get: executed, info: 0 },
    cpuSeconds: executed / 2_000_000,
  });
  const contender = (name: string) => ({
    name,
    call: async () => {
      await tick();
      executed += 2;
    },
    settle: async () => {
      order.push(name);
    },
  });
  const results = await interleave([contender('a'), contender('b'), contender('c')], {
    rounds: 4,
    roundMs: 5,
    warmupMs: 0,
    callers: 2,
    snapshot,
  });
  expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b', 'a', 'b', 'c']);
  for (const result of results) {
    expect(result.rounds).toHaveLength(4);
    expect(result.rounds).toContain(result.median);
    expect(result.minCallsPerSecond).toBeLessThanOrEqual(result.median.callsPerSecond);
    expect(result.maxCallsPerSecond).toBeGreaterThanOrEqual(result.median.callsPerSecond);
    // Two commands and 1 µs of CPU per call, attributed to the contender that made them.
    expect(result.server?.commandsPerCall).toBe(2);
    expect(result.server?.byCommand).toEqual({ get: 2 });
    expect(result.server?.cpuMsPer1000Calls).toBeCloseTo(1, 6);
  }
  expect(results.map((r) => r.name)).toEqual(['a', 'b', 'c']);
});
