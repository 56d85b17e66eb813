import { parseArgs } from 'node:util';
import { KEY_MODES, type KeyMode } from './keys.js';

/** The experiment's command-line settings. */
export interface ExperimentArgs {
  /** Concurrent simulated users per scenario. Default 200. */
  users: number;
  /** Seconds of load per scenario. Default 3. */
  durationSeconds: number;
  /** Which keys the users read: 10,000 in turn, Zipf(1) over 10,000, or one. Default `distinct`. */
  keys: KeyMode;
  /** Redis URL; default `REDIS_URL`, then 127.0.0.1:6379, then a private server. */
  url: string | undefined;
  /** Start a private redis-server even if one answers at 127.0.0.1:6379. */
  private: boolean;
  /** `maxclients` of a private server. Default 128. */
  maxclients: number;
  /** Print JSON instead of the table. */
  json: boolean;
  help: boolean;
}

/** Printed by `--help` and after a bad flag. */
export const USAGE: string = `Usage: pnpm demo [--users 200] [--duration 3] [--keys distinct] [--url redis://…] [--private] [--maxclients 128] [--json]

  --users N        concurrent simulated users per scenario (1–5000, default 200)
  --duration S     seconds of load per scenario (0.1–60, default 3)
  --keys K         which keys the users read: distinct (10,000 keys in turn, the default),
                   zipf (Zipf(1) over 10,000 keys: a few hot ones, a long tail) or hot (one key)
  --url URL        Redis to use (default: REDIS_URL, else 127.0.0.1:6379 if it answers,
                   else a private redis-server started for the run)
  --private        always start a private redis-server, even if 127.0.0.1:6379 answers
  --maxclients N   maxclients of the private server (default 128), so that one connection
                   per call meets the limit a real server has
  --json           print the results as JSON (progress still goes to stderr)`;

/** A flag that is not allowed; the message names the flag and what is allowed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'DEMO_BAD_FLAG';
}

function numberFlag(
  raw: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function keysFlag(raw: string | undefined): KeyMode {
  if (raw === undefined) return 'distinct';
  const mode = KEY_MODES.find((allowed) => allowed === raw);
  if (mode === undefined) {
    throw new UsageError(`--keys must be one of ${KEY_MODES.join(', ')}, got "${raw}"`);
  }
  return mode;
}

/** Parse `argv` (without node and script); throws {@link UsageError} on a bad flag. */
export function parseExperimentArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ExperimentArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values } = parsed;
  return {
    users: Math.round(numberFlag(values.users, 'users', 1, 5000, 200)),
    durationSeconds: numberFlag(values.duration, 'duration', 0.1, 60, 3),
    keys: keysFlag(values.keys),
    url: values.url ?? (env.REDIS_URL || undefined),
    private: values.private ?? false,
    maxclients: Math.round(numberFlag(values.maxclients, 'maxclients', 16, 100_000, 128)),
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      users: { type: 'string' },
      duration: { type: 'string' },
      keys: { type: 'string' },
      url: { type: 'string' },
      private: { type: 'boolean' },
      maxclients: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
