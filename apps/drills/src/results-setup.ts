import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { findRedisServer } from '@hitpool/testing';
import type { TestProject } from 'vitest/node';
import { type DrillRow, formatTable } from './table.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON-lines file each drill appends its row to; printed as one table at the end of the run. */
    drillResults: string;
  }
}

/** Where and when the drills ran, in the shape `pnpm figures` reads from `drills.json`. */
export interface DrillsEnvironment {
  node: string;
  redisVersion: string;
  cpus: number;
  /** 1, 5 and 15 minute load averages at the start. */
  loadAverage: number[];
  /** ISO 8601, UTC, at the start. */
  date: string;
  gitHead: string;
  /** Tracked files differ from HEAD. */
  gitDirty: boolean;
  command: string;
}

function output(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

function environment(): DrillsEnvironment {
  const server = findRedisServer();
  const version = server ? output(server, ['--version']) : undefined;
  const event = process.env.npm_lifecycle_event;
  return {
    node: process.version,
    redisVersion: /\bv=(\S+)/.exec(version ?? '')?.[1] ?? 'unknown',
    cpus: cpus().length,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    date: new Date().toISOString(),
    gitHead: output('git', ['rev-parse', '--short', 'HEAD'])?.trim() ?? 'unknown',
    gitDirty:
      (output('git', ['status', '--porcelain', '--untracked-files=no']) ?? '').trim() !== '',
    command: event
      ? `pnpm --filter @hitpool/drills ${event}`
      : `vitest ${process.argv.slice(2).join(' ')}`,
  };
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
  const started = jsonPath === undefined ? undefined : environment();
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
    rm(dir);
    // Drill names start with the drill's number in the README's drill table (`3a ...`), whatever
    // order the files ran in.
    rows.sort((a, b) => a.drill.localeCompare(b.drill, 'en', { numeric: true }));
    if (rows.length > 0) console.log(`\nhitpool drills\n\n${formatTable(rows)}\n`);
    if (jsonPath !== undefined && started !== undefined)
      writeFileSync(jsonPath, `${JSON.stringify({ environment: started, rows }, null, 2)}\n`);
  };
}

function rm(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
