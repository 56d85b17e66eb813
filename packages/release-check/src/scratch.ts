import type { ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killRunningCommands } from './run.js';

const PREFIX = 'hitpool-rehearsal-';

/** A temp folder plus the processes started for it, all removed by {@link Scratch.close}. */
export interface Scratch {
  /** The temp folder (outside the workspace). */
  readonly dir: string;
  /** Kill `child` (SIGTERM, then SIGKILL) on close, on exit and on SIGINT/SIGTERM/SIGHUP. */
  track(child: ChildProcess): void;
  /** Stop every tracked process and remove the folder. Idempotent. */
  close(): Promise<void>;
}

const open = new Set<{ dir: string; pids: Set<number> }>();
let hooksInstalled = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killNow(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function cleanupAllNow(): void {
  killRunningCommands();
  for (const entry of open) {
    for (const pid of entry.pids) killNow(pid);
    rmSync(entry.dir, { recursive: true, force: true });
  }
  open.clear();
}

function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

function isOurChild(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('verdaccio');
  } catch {
    return false;
  }
}

/** Remove what a rehearsal that died hard (SIGKILL, power cut) left behind. */
function sweepOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const [owner] = readPids(join(dir, 'owner.pid'));
    if (owner !== undefined && alive(owner)) continue;
    for (const pid of readPids(join(dir, 'children.pid'))) if (isOurChild(pid)) killNow(pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', cleanupAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupAllNow();
      process.kill(process.pid, signal);
    });
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Create a temp folder for one rehearsal; sweeps leftovers of rehearsals that died first. */
export function createScratch(): Scratch {
  installHooks();
  sweepOrphans();
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`);
  const entry = { dir, pids: new Set<number>() };
  const children = new Set<ChildProcess>();
  open.add(entry);
  let closed = false;
  return {
    dir,
    track(child) {
      if (child.pid === undefined) return;
      children.add(child);
      entry.pids.add(child.pid);
      appendFileSync(join(dir, 'children.pid'), `${child.pid}\n`);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const child of children) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 5_000))) {
          child.kill('SIGKILL');
          await waitForExit(child, 5_000);
        }
      }
      open.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
