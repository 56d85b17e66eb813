import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { InfoSource } from './server.js';

/** Where and when a benchmark, the demo's experiment or the drills ran. */
export interface BenchEnvironment {
  node: string;
  redisVersion: string;
  cpus: number;
  /** 1, 5 and 15 minute load averages at the start. */
  loadAverage: number[];
  /** ISO 8601, UTC. */
  date: string;
  /** `git rev-parse --short HEAD`, or `unknown` outside a repository. */
  gitHead: string;
  /** Tracked files differ from HEAD (`git status --porcelain --untracked-files=no`). */
  gitDirty: boolean;
  /** The command that ran (for a bench or the demo, as {@link benchCommand} rebuilds it). */
  command: string;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** `word` for a POSIX shell: as it is when safe, else in single quotes. */
function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A password in a URL (`scheme://user:password@host`) becomes `***`: records get committed. */
const redact = (word: string) => word.replace(/(\/\/[^:/@\s]*):[^@/\s]*@/g, '$1:***@');

/**
 * The command this process runs, for the record: the `BENCH_*` variables set, then
 * `pnpm --filter <package> <script> <arguments>` when a package script started it (pnpm sets
 * `npm_package_name` and `npm_lifecycle_event`), else `node <script> <arguments>`; passwords
 * in URLs replaced by `***`.
 */
export function benchCommand(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): string {
  const settings = Object.keys(env)
    .filter((name) => name.startsWith('BENCH_'))
    .sort()
    .map((name) => `${name}=${quote(redact(env[name] ?? ''))}`);
  const args = argv.slice(2);
  const run =
    env.npm_package_name && env.npm_lifecycle_event
      ? ['pnpm', '--filter', env.npm_package_name, env.npm_lifecycle_event, ...args]
      : ['node', ...argv.slice(1)];
  return [...settings, ...run.map((word) => quote(redact(word)))].join(' ');
}

/**
 * The {@link BenchEnvironment} of this process, now: `redisVersion` as the server (or its binary)
 * reports it, `command` as the record should show it.
 */
export function runEnvironment(
  redisVersion: string,
  command: string = benchCommand(),
): BenchEnvironment {
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    node: process.version,
    redisVersion,
    cpus: cpus().length,
    loadAverage: loadavg(),
    date: new Date().toISOString(),
    gitHead: git(['rev-parse', '--short', 'HEAD'])?.trim() ?? 'unknown',
    gitDirty: status !== undefined && status.trim() !== '',
    command,
  };
}

/** Collect the {@link BenchEnvironment}; `redis` answers `INFO server`. */
export async function benchEnvironment(redis: InfoSource): Promise<BenchEnvironment> {
  const info = await redis.info('server');
  return runEnvironment(/^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown');
}

/** One line for the top of a report. */
export function environmentLine(env: BenchEnvironment): string {
  const load = env.loadAverage.map((n) => n.toFixed(2)).join(' ');
  return `Node ${env.node}, redis_version ${env.redisVersion}, ${env.cpus} CPUs, load average ${load}, ${env.date}, git ${env.gitHead}${env.gitDirty ? ' (uncommitted changes)' : ''}`;
}
