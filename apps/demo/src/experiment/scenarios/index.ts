import { connectionPerCall } from './connection-per-call.js';
import { hitsBuffered, hitsCached, hitsGet } from './hits.js';
import { ioredisPromiseAll } from './ioredis.js';
import { poolPipeline, poolTwoRoundTrips } from './pool.js';
import type { Scenario } from './types.js';

export type { Scenario, ScenarioSession } from './types.js';

/** The seven scenarios, in the order the story is told. */
export const scenarios: readonly Scenario[] = [
  connectionPerCall,
  poolTwoRoundTrips,
  poolPipeline,
  ioredisPromiseAll,
  hitsGet,
  hitsBuffered,
  hitsCached,
];
