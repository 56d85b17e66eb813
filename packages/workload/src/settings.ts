/** Benchmark settings, from the environment. */
export interface BenchSettings {
  /** `BENCH_ROUNDS`: measured rounds per contender. */
  rounds: number;
  /** `BENCH_ROUND_MS`: one contender's round, ms. */
  roundMs: number;
  /** `BENCH_WARMUP_MS`: one unmeasured run per contender first, ms. */
  warmupMs: number;
  /** `BENCH_JSON`: where to write the results as JSON, if set. */
  jsonPath: string | undefined;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new RangeError(`${name} must be a number >= ${min}, got "${raw}"`);
  return value;
}

/** Read {@link BenchSettings} from `env`, with the given defaults. */
export function benchSettings(
  defaults: { rounds: number; roundMs: number; warmupMs: number },
  env: NodeJS.ProcessEnv = process.env,
): BenchSettings {
  return {
    rounds: Math.round(positive(env, 'BENCH_ROUNDS', defaults.rounds, 1)),
    roundMs: positive(env, 'BENCH_ROUND_MS', defaults.roundMs, 1),
    warmupMs: positive(env, 'BENCH_WARMUP_MS', defaults.warmupMs, 0),
    jsonPath: env.BENCH_JSON || undefined,
  };
}
