import { Command } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../client.js';
import { leaseDeadline, skipSettled } from './command.js';
import { type CommandInternals, commandInternals } from './ioredis-internals.js';

function command(name: string, ...args: (string | number)[]): CommandInternals {
  return commandInternals(new Command(name, args));
}

describe('leaseDeadline', () => {
  it('gives ordinary commands the lease timeout, and none when it is 0', () => {
    expect(leaseDeadline(command('get', 'k'), 300)).toBe(300);
    expect(leaseDeadline(command('bitcount', 'k'), 300)).toBe(300);
    expect(leaseDeadline(command('xread', 'STREAMS', 's', '0'), 300)).toBe(300);
    expect(leaseDeadline(command('get', 'k'), 0)).toBe(0);
  });

  it('adds the block time of blocking commands, and no limit when they block forever', () => {
    expect(leaseDeadline(command('blpop', 'list', 2), 300)).toBe(2_300);
    expect(leaseDeadline(command('BLPOP', 'list', '0.5'), 300)).toBe(800);
    expect(leaseDeadline(command('blmpop', 1, 1, 'list', 'LEFT'), 300)).toBe(1_300);
    expect(
      leaseDeadline(
        command('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', 100, 'STREAMS', 's', '>'),
        300,
      ),
    ).toBe(400);
    expect(leaseDeadline(command('wait', 1, 250), 300)).toBe(550);
    expect(leaseDeadline(command('blpop', 'list', 0), 300)).toBe(0);
    expect(leaseDeadline(command('xread', 'BLOCK', 0, 'STREAMS', 's', '$'), 300)).toBe(0);
    expect(leaseDeadline(command('wait', 1, 0), 300)).toBe(0);
  });
});

describe('skipSettled', () => {
  it('writes nothing for a skipped command but still counts it in its pipeline', async () => {
    const writes: string[] = [];
    const stream = { isPipeline: true, write: (data: string) => writes.push(data) };
    const settled = command('incr', 'k');
    settled.reject(new Error('Command timed out'));
    await expect(skipSettled(settled, stream)).rejects.toThrow('Command timed out');
    await expect(skipSettled(settled, undefined)).rejects.toThrow('Command timed out');
    expect(writes).toEqual(['']);
  });
});

describe('reconnectDelay', () => {
  it('backs off from 50 ms and never waits more than 500 ms', () => {
    expect(reconnectDelay(1)).toBeGreaterThanOrEqual(50);
    expect(reconnectDelay(1)).toBeLessThan(150);
    for (let attempt = 1; attempt < 40; attempt++)
      expect(reconnectDelay(attempt)).toBeLessThan(500);
  });
});
