import { Redis } from 'ioredis';
import { afterAll, expect, inject, it } from 'vitest';
import { parseCommandStats, parseCpuSeconds, serverDelta, serverSnapshot } from './server.js';

const COMMANDSTATS =
  '# Commandstats\r\n' +
  'cmdstat_get:calls=120,usec=300,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r\n' +
  'cmdstat_client|setinfo:calls=2,usec=4,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n' +
  'cmdstat_info:calls=7,usec=400,usec_per_call=57.14,rejected_calls=0,failed_calls=0\r\n';
const CPU =
  '# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:2.500000\r\nused_cpu_sys_children:9.000000\r\n';

it('parses INFO commandstats and INFO cpu', () => {
  expect(parseCommandStats(COMMANDSTATS)).toEqual({ get: 120, 'client|setinfo': 2, info: 7 });
  expect(parseCpuSeconds(CPU)).toBe(3.75);
  expect(() => parseCpuSeconds('# CPU\r\n')).toThrow(/used_cpu_user/);
});

it('serverDelta divides commands (INFO left out) and CPU by the client calls', () => {
  const before = { commands: { get: 100, info: 2 }, cpuSeconds: 1 };
  const after = { commands: { get: 300, incr: 100, info: 6 }, cpuSeconds: 1.05 };
  const delta = serverDelta(before, after, 100);
  expect(delta).toMatchObject({ clientCalls: 100, commands: 300, commandsPerCall: 3 });
  expect(delta.byCommand).toEqual({ get: 2, incr: 1 });
  expect(Object.keys(delta.byCommand)).toEqual(['get', 'incr']); // most first
  expect(delta.cpuMs).toBeCloseTo(50, 6);
  expect(delta.cpuMsPer1000Calls).toBeCloseTo(500, 6);
  expect(serverDelta(before, after, 0).commandsPerCall).toBe(0);
});

const admin = new Redis(inject('redisUrl'));
const worker = new Redis(inject('redisUrl'));
afterAll(async () => {
  await admin.quit();
  await worker.quit();
});

it('serverSnapshot reads a real redis-server, and sums several', async () => {
  const before = await serverSnapshot(admin);
  for (let i = 0; i < 25; i++) await worker.get(`workload:test:${i}`);
  const after = await serverSnapshot(admin);
  const delta = serverDelta(before, after, 25);
  expect(delta.byCommand.get).toBe(1);
  expect(delta.byCommand.info).toBeUndefined();
  expect(delta.cpuMs).toBeGreaterThanOrEqual(0);
  const twice = await serverSnapshot([admin, admin]);
  expect(twice.commands.get).toBe(2 * (after.commands.get ?? 0));
});
