import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR_PREFIX = 'hitpool-redis-';

interface Tracked {
  dir: string;
  pid: () => number | undefined;
}

const tracked = new Set<Tracked>();
let hooksInstalled = false;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isRedisProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-');
  } catch {
    return !existsSync('/proc');
  }
}

/** Kill servers left behind by a test run that died (its owner process is gone). */
function sweepOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = readPid(join(dir, 'owner.pid'));
    if (owner !== undefined && isAlive(owner)) continue;
    const child = readPid(join(dir, 'server.pid'));
    if (child !== undefined && isAlive(child) && isRedisProcess(child)) killQuietly(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function cleanupAll(): void {
  for (const entry of tracked) {
    killQuietly(entry.pid());
    rmSync(entry.dir, { recursive: true, force: true });
  }
  tracked.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  sweepOrphans();
  process.once('exit', cleanupAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupAll();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * A private temp dir for one server, removed (and the server killed) when the
 * process exits for any reason, even if a test forgot to stop it.
 */
export function trackServerDir(pid: () => number | undefined): {
  dir: string;
  release: () => void;
} {
  installHooks();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const entry: Tracked = { dir, pid };
  tracked.add(entry);
  return {
    dir,
    release: () => {
      tracked.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Record the server's pid so a later run can sweep it if this process dies hard. */
export function recordServerPid(dir: string, pid: number): void {
  writeFileSync(join(dir, 'server.pid'), String(pid));
}
