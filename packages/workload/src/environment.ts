import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { InfoSource } from './server.js';

/** Where and when a benchmark ran. */
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
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** Collect the {@link BenchEnvironment}; `redis` answers `INFO server`. */
export async function benchEnvironment(redis: InfoSource): Promise<BenchEnvironment> {
  const info = await redis.info('server');
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    node: process.version,
    redisVersion: /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown',
    cpus: cpus().length,
    loadAverage: loadavg(),
    date: new Date().toISOString(),
    gitHead: git(['rev-parse', '--short', 'HEAD'])?.trim() ?? 'unknown',
    gitDirty: status !== undefined && status.trim() !== '',
  };
}

/** One line for the top of a report. */
export function environmentLine(env: BenchEnvironment): string {
  const load = env.loadAverage.map((n) => n.toFixed(2)).join(' ');
  return `Node ${env.node}, redis_version ${env.redisVersion}, ${env.cpus} CPUs, load average ${load}, ${env.date}, git ${env.gitHead}${env.gitDirty ? ' (uncommitted changes)' : ''}`;
}
