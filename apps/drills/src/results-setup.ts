import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { findRedisServer } from '@hitpool/testing';
import { type DrillRow, drillTable, runEnvironment } from '@hitpool/workload';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON-lines file each drill appends its row to; printed as one table at the end of the run. */
    drillResults: string;
  }
}

/** `redis-server --version` of the binary the harness starts (no server runs yet at this point). */
function redisServerVersion(): string {
  const server = findRedisServer();
  if (server === undefined) return 'unknown';
  try {
    const version = execFileSync(server, ['--version'], { encoding: 'utf8' });
    return /\bv=(\S+)/.exec(version)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The command as the drills' record shows it: the package script, else vitest's arguments. */
function drillCommand(): string {
  const event = process.env.npm_lifecycle_event;
  return event
    ? `pnpm --filter @hitpool/drills ${event}`
    : `vitest ${process.argv.slice(2).join(' ')}`;
}

/**
 * vitest globalSetup: collects every drill's row and prints the drill table once the run ends.
 * With `DRILLS_JSON` set to an absolute path it also writes `{ environment, rows }` there (the
 * raw result `pnpm figures` reads as `docs/results/drills.json`).
 */
export default function setup(project: TestProject): () => void {
  const jsonPath = process.env.DRILLS_JSON;
  if (jsonPath !== undefined && !isAbsolute(jsonPath))
    throw new Error(`DRILLS_JSON must be an absolute path, got ${jsonPath}`);
  const started =
    jsonPath === undefined ? undefined : runEnvironment(redisServerVersion(), drillCommand());
  const dir = mkdtempSync(join(tmpdir(), 'hitpool-drills-'));
  const file = join(dir, 'rows.jsonl');
  project.provide('drillResults', file);
  return () => {
    let rows: DrillRow[] = [];
    try {
      rows = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as DrillRow);
    } catch {
      // No drill recorded a row (all skipped or filtered out).
    }
    rmSync(dir, { recursive: true, force: true });
    // Drill names start with the drill's number in the README's drill table (`3a ...`), whatever
    // order the files ran in.
    rows.sort((a, b) => a.drill.localeCompare(b.drill, 'en', { numeric: true }));
    if (rows.length > 0) console.log(`\nhitpool drills\n\n${drillTable(rows)}\n`);
    if (jsonPath !== undefined && started !== undefined)
      writeFileSync(jsonPath, `${JSON.stringify({ environment: started, rows }, null, 2)}\n`);
  };
}
