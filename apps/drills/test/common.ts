import type { LoadResult } from '../src/load.js';

/**
 * Settings every drill shares. The issue asks for 200 concurrent callers; 20
 * of them run a WATCH/MULTI transaction on a lease, the rest call `hits.get`.
 */
export const CALLERS = 200;
export const TRANSACTION_CALLERS = 20;

/**
 * Slack allowed over a configured timeout before a drill calls it broken: the
 * timers fire on an event loop that is also running 200 callers on a shared
 * 2-core machine.
 */
export const TIMEOUT_TOLERANCE_MS = 250;

/** Pool settings for the fault drills: short timeouts so a fault shows within a second. */
export const DRILL_POOL = {
  max: 10,
  acquireTimeoutMs: 1_000,
  commandTimeoutMs: 1_000,
  connectTimeoutMs: 1_000,
} as const;

/** Codes the drill itself raises when Redis answered but the answer was wrong. */
export const CORRECTNESS_CODES = ['WRONG_REPLY', 'EXEC_ABORTED', 'EXEC_EMPTY'];

/** Failure codes that mean a correctness bug (a reply for another command), not an outage. */
export function correctnessFailures(counts: Readonly<Record<string, number>>): string[] {
  return Object.keys(counts).filter((code) =>
    CORRECTNESS_CODES.some((bad) => code === bad || code.endsWith(`:${bad}`)),
  );
}

/**
 * Milliseconds from `mark` to the first success of each kind of caller: `main`
 * (`hits.get` on the shared client) and `tx` (leases). Missing = never.
 */
export function recoveryByCaller(
  load: LoadResult,
  mark: string,
): { main: number | undefined; tx: number | undefined } {
  const byLabel = load.marks[mark]?.firstSuccessAfterByLabelMs ?? {};
  return { main: byLabel.main, tx: byLabel.tx };
}
