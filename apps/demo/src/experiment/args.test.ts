import { expect, it } from 'vitest';
import { parseExperimentArgs, UsageError } from './args.js';

it('defaults to 200 users for 3 s on distinct keys, REDIS_URL when set, maxclients 128', () => {
  expect(parseExperimentArgs([], {})).toEqual({
    users: 200,
    durationSeconds: 3,
    keys: 'distinct',
    url: undefined,
    private: false,
    maxclients: 128,
    json: false,
    help: false,
  });
  expect(parseExperimentArgs([], { REDIS_URL: 'redis://db:6379' }).url).toBe('redis://db:6379');
  expect(
    parseExperimentArgs(['--users', '50', '--duration', '1', '--json', '--url', 'redis://x:1'], {
      REDIS_URL: 'redis://db:6379',
    }),
  ).toMatchObject({ users: 50, durationSeconds: 1, json: true, url: 'redis://x:1' });
  expect(parseExperimentArgs(['--keys', 'zipf'], {}).keys).toBe('zipf');
  expect(parseExperimentArgs(['--keys=hot'], {}).keys).toBe('hot');
  expect(parseExperimentArgs(['--keys', 'distinct'], {}).keys).toBe('distinct');
});

it('refuses bad flags, naming the flag and what is allowed', () => {
  expect(() => parseExperimentArgs(['--users', '0'], {})).toThrow(
    new UsageError('--users must be a number from 1 to 5000, got "0"'),
  );
  expect(() => parseExperimentArgs(['--duration', 'soon'], {})).toThrow(
    /--duration must be a number/,
  );
  expect(() => parseExperimentArgs(['--maxclients', '2'], {})).toThrow(
    /--maxclients must be a number from 16/,
  );
  expect(() => parseExperimentArgs(['--keys', 'random'], {})).toThrow(
    new UsageError('--keys must be one of distinct, zipf, hot, got "random"'),
  );
  expect(() => parseExperimentArgs(['--keys'], {})).toThrow(UsageError);
  expect(() => parseExperimentArgs(['--nope'], {})).toThrow(UsageError);
});
