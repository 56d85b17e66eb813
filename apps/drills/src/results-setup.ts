import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type DrillRow, formatTable } from './table.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON-lines file each drill appends its row to; printed as one table at the end of the run. */
    drillResults: string;
  }
}

/** vitest globalSetup: collects every drill's row and prints the drill table once the run ends. */
export default function setup(project: TestProject): () => void {
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
  };
}

function rm(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
