import type { TestProject } from 'vitest/node';
import { startRedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the standalone redis-server the run shares (started by the harness). */
    redisUrl: string;
    redisPort: number;
  }
}

/** vitest globalSetup: one standalone redis-server for the whole run, stopped at the end. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  project.provide('redisPort', server.port);
  return () => server.close();
}
