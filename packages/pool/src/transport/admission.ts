/**
 * Whether a connection of the shared client takes one more command: none while its endpoint
 * is known to be down (the pool's breaker, `failFast`), and none beyond `maxPendingCommands`
 * held unanswered. A refused command is rejected before ioredis sees it: never written.
 */

import type { Cluster, Redis } from 'ioredis';
import { PoolQueueFullError } from '../errors.js';
import type { CommandInternals } from './ioredis-internals.js';

/** The callers a command carries (a `@hitpool/hits` batch), set by `sendBatch`; 1 when unset. */
export const CALLERS: unique symbol = Symbol('hitpool.callers');
/** The {@link Admission} that counted a batch, so a second pass through it is not counted again. */
const ADMITTED: unique symbol = Symbol('hitpool.admitted');

/**
 * Commands ioredis sends itself while a connection is being set up (status `connect`): never
 * refused, or a full backlog would keep the connection from ever becoming ready.
 */
const HANDSHAKE = new Set(['auth', 'hello', 'select', 'client', 'info', 'readonly', 'ping']);

/** True for a command ioredis writes as part of a connection's handshake. */
export function isHandshake(status: string, command: CommandInternals): boolean {
  return status === 'connect' && HANDSHAKE.has(command.name.toLowerCase());
}

/** A command with what admission keeps on it. */
export interface WeightedCommand extends CommandInternals {
  [CALLERS]?: number;
  [ADMITTED]?: Admission;
}

/** Refuses calls while its endpoint is down: the pool's breaker. */
export interface Gate {
  /** True while calls are refused (read on every command). */
  readonly open: boolean;
  /** The error a refused call rejects with. */
  unavailable(): Error;
}

/** What the shared client's guard tells its owner about one connection's health. */
export interface ConnectionHealth {
  /** The admission of this connection's commands. */
  readonly admission: Admission;
  /** A command written on this connection (or its handshake) passed its deadline unanswered. */
  timedOut(error: Error): void;
}

/** The gate and the backlog bound of one connection (or of a Cluster's own queue). */
export class Admission {
  /** Callers beyond the first of the weighted commands admitted and not settled yet. */
  #extra = 0;

  constructor(
    /** The breaker of the endpoint; undefined = never refused for health. */
    readonly gate: Gate | undefined,
    /** `maxPendingCommands`. */
    readonly maxPending: number,
  ) {}

  /**
   * The error to refuse `command` with, or undefined to send it. `held` = commands this
   * connection holds unanswered now (queued for a connection, or written).
   */
  refuse(command: WeightedCommand, held: number): Error | undefined {
    const gate = this.gate;
    if (gate?.open) return gate.unavailable();
    const callers = command[CALLERS];
    // A plain command is counted by the queue it waits in: nothing to keep on it (hot path).
    if (callers === undefined) {
      return held + this.#extra < this.maxPending
        ? undefined
        : backlogFull('The shared client', held + this.#extra, this.maxPending);
    }
    if (command[ADMITTED] === this) return undefined;
    const weight = callers;
    if (held + this.#extra + weight > this.maxPending) {
      return backlogFull('The shared client', held + this.#extra, this.maxPending);
    }
    command[ADMITTED] = this;
    if (weight > 1) {
      // Few commands carry callers (one per hits batch): only they pay for a settle callback.
      this.#extra += weight - 1;
      const release = (): void => {
        this.#extra -= weight - 1;
      };
      command.promise.then(release, release);
    }
    return undefined;
  }
}

const limits = new WeakMap<Redis | Cluster, number>();

/** Remember `client`'s `maxPendingCommands` (its guard does, for a pool's shared client). */
export function setPendingLimit(client: Redis | Cluster, maxPending: number): void {
  limits.set(client, maxPending);
}

/** `client`'s `maxPendingCommands`; `Infinity` for a client no pool guards. */
export function pendingLimit(client: Redis | Cluster): number {
  return limits.get(client) ?? Number.POSITIVE_INFINITY;
}

/**
 * The error of a call refused because `holder` (the shared client, a hit tracker) already holds
 * `held` calls without a reply and `maxPending` is its bound.
 */
export function backlogFull(holder: string, held: number, maxPending: number): PoolQueueFullError {
  return new PoolQueueFullError(
    `${holder} already holds ${held} calls without a reply (maxPendingCommands: ${maxPending}), so this one was refused without being sent. Redis is not keeping up or not answering: shed load, or raise maxPendingCommands.`,
  );
}
