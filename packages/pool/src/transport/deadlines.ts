/**
 * Reply deadlines without a timer per command. A command gets its deadline as a number on the
 * command object; each connection with commands outstanding is watched by one process-wide
 * sweeper that looks at its queues every {@link SWEEP_INTERVAL_MS}. ioredis's own
 * `commandTimeout` costs a `setTimeout`/`clearTimeout` pair per command, a measurable share of
 * a fast command's cost.
 */
import { DEFAULTS } from '../options.js';
import { type CommandInternals, DEADLINE } from './ioredis-internals.js';

/** How often deadlines are checked (ms): a command rejects at most this much after its deadline. */
export const SWEEP_INTERVAL_MS = 10;

/** The message of a command that passed its deadline (ioredis's own wording, kept on purpose). */
export const COMMAND_TIMED_OUT = 'Command timed out';

/** True when `error` is a command timeout (ours or ioredis's `commandTimeout`). */
export function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === COMMAND_TIMED_OUT;
}

/** The reply deadline each guarded client's commands get (see {@link commandTimeoutOf}). */
const timeouts = new WeakMap<object, number>();

/** Remember that a guard gives `client`'s commands a deadline of `timeoutMs`. */
export function recordCommandTimeout(client: object, timeoutMs: number): void {
  timeouts.set(client, timeoutMs);
}

/** The pool's default `commandTimeoutMs`, ms: for a client that sets no deadline of its own. */
export const DEFAULT_COMMAND_TIMEOUT_MS: number = DEFAULTS.commandTimeoutMs;

/**
 * The reply deadline (ms) a transport guard gives `client`'s commands (a pool's shared client:
 * its `commandTimeoutMs`), or `undefined` for a client no guard watches.
 */
export function commandTimeoutOf(client: object): number | undefined {
  return timeouts.get(client);
}

/** The clock deadlines are measured on (monotonic, ms). */
export const now: () => number = () => performance.now();

/** Set `command`'s deadline `timeoutMs` from now unless it has one; returns the deadline. */
export function startClock(command: CommandInternals, timeoutMs: number): number {
  const deadline = command[DEADLINE];
  if (deadline !== undefined) return deadline;
  const at = now() + timeoutMs;
  command[DEADLINE] = at;
  return at;
}

/** True when `command` has a deadline and it has passed. */
export function isPastDeadline(command: CommandInternals, at: number = now()): boolean {
  const deadline = command[DEADLINE];
  return deadline !== undefined && deadline <= at;
}

/** Reject `command` as timed out, if it is still waiting. */
export function expire(command: CommandInternals): void {
  if (!command.isSettled) command.reject(new Error(COMMAND_TIMED_OUT));
}

/** Something with commands outstanding whose deadlines the sweeper checks. */
export interface DeadlineWatch {
  /** Set by the sweeper while it watches this; lets `watch()` callers skip a Set lookup. */
  watched: boolean;
  /** Reject what is past `at`; return false once nothing is outstanding (stop watching). */
  sweep(at: number): boolean;
}

/** Checks every watched connection's deadlines on one timer, armed only while needed. */
export class DeadlineSweeper {
  readonly #watched = new Set<DeadlineWatch>();
  #timer: NodeJS.Timeout | undefined;

  /** Watch `target` until its `sweep` says nothing is outstanding. Cheap to call per command. */
  watch(target: DeadlineWatch): void {
    if (target.watched) return;
    target.watched = true;
    this.#watched.add(target);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
      // Sockets and reconnect timers keep a process alive while commands are outstanding;
      // the sweeper itself must never hold a process open.
      this.#timer.unref();
    }
  }

  /** Stop watching `target` (its connection is gone). */
  forget(target: DeadlineWatch): void {
    target.watched = false;
    this.#watched.delete(target);
    this.#stopWhenIdle();
  }

  /** Connections watched now (for tests). */
  get size(): number {
    return this.#watched.size;
  }

  #sweep(): void {
    const at = now();
    for (const target of this.#watched) {
      if (!target.sweep(at)) {
        target.watched = false;
        this.#watched.delete(target);
      }
    }
    this.#stopWhenIdle();
  }

  #stopWhenIdle(): void {
    if (this.#watched.size > 0 || this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The process's sweeper: one timer for every pool's commands. */
export const sweeper: DeadlineSweeper = new DeadlineSweeper();
