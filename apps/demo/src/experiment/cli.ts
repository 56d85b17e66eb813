import { benchEnvironment, type ExperimentReport, experimentTable } from '@hitpool/workload';
import { Redis } from 'ioredis';
import { RedisNotFoundError, selectRedis } from '../redis/select.js';
import { parseExperimentArgs, USAGE, UsageError } from './args.js';
import { runExperiment } from './experiment.js';
import { keySource } from './keys.js';
import { progressPrinter } from './progress.js';
import { verdict } from './verdict.js';

async function main(): Promise<number> {
  const args = parseExperimentArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const redis = await selectRedis({
    url: args.url,
    maxclients: args.maxclients,
    forcePrivate: args.private,
  });
  const abort = new AbortController();
  const onSignal = () => {
    process.stderr.write('\nstopping: cleaning up keys…\n');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stderr.write(`hitpool demo: ${redis.description}\n`);
  process.stderr.write(
    `${args.users} users per scenario, ${args.durationSeconds} s each, keys: ${keySource(args.keys, '').label}\n`,
  );
  try {
    // Where and how this ran (Node, Redis, CPUs, load average at the start, git HEAD, the
    // command), so that a saved --json result can be quoted with its circumstances.
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const environment = await benchEnvironment(admin).finally(() => admin.disconnect());
    const results = await runExperiment({
      url: redis.url,
      users: args.users,
      durationMs: args.durationSeconds * 1000,
      keys: args.keys,
      onProgress: progressPrinter(process.stderr),
      signal: abort.signal,
    });
    if (abort.signal.aborted) return 130;
    const report: ExperimentReport = {
      redis: { source: redis.source, url: redis.safeUrl, description: redis.description },
      users: args.users,
      durationSeconds: args.durationSeconds,
      keys: args.keys,
      scenarios: results,
      verdict: verdict(results),
      environment,
    };
    process.stdout.write(
      args.json
        ? `${JSON.stringify(report)}\n`
        : `\n${experimentTable(results)}\n\n${report.verdict}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await redis.release();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    else if (error instanceof RedisNotFoundError)
      process.stderr.write(`hitpool demo: ${error.message}\n`);
    else
      process.stderr.write(
        `hitpool demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
