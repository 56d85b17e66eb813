/**
 * An opt-in view of the shared client's commands (for `@hitpool/pool/otel`): each command's
 * name, how long it took from being handed to the client until it settled, and its error.
 * Nothing is done per command while no observer is attached (one property read).
 */
import type { Cluster, Redis } from 'ioredis';
import { PoolError } from '../errors.js';
import { type CommandInternals, DEADLINE, redisInternals } from './ioredis-internals.js';

/**
 * Told once about each command the shared client settles: its name (as the caller wrote it,
 * e.g. `get`), how long it took (ms, from the call until its reply or error) and its error
 * (undefined on success). Must not throw.
 */
export type CommandObserver = (name: string, durationMs: number, error: Error | undefined) => void;

/** Where a guarded client keeps its observer, read once per command. */
export interface ObserverSlot {
  observer: CommandObserver | undefined;
}

const slots = new WeakMap<Redis | Cluster, ObserverSlot>();

/** The observer slot of a shared client (or Cluster), created by its guard. */
export function observerSlot(client: Redis | Cluster): ObserverSlot {
  let slot = slots.get(client);
  if (slot === undefined) {
    slot = { observer: undefined };
    slots.set(client, slot);
  }
  return slot;
}

/**
 * Called by a guard for every command it sees while an observer is attached: a command's
 * first pass (no deadline yet; redirects and offline-queue flushes come through again) gets
 * its settle functions wrapped, so the observer hears of it once, when it settles. Wrapping
 * (rather than `command.promise.then`) keeps a caller's unhandled rejection unhandled.
 */
export function observeFirstPass(slot: ObserverSlot, command: CommandInternals): void {
  if (command[DEADLINE] !== undefined || command.isSettled) return;
  const started = performance.now();
  const { resolve, reject } = command;
  let open = true;
  const settled = (error: Error | undefined): void => {
    open = false;
    slot.observer?.(command.name, performance.now() - started, error);
  };
  command.reject = (error) => {
    reject(error);
    if (open) settled(error);
  };
  // ioredis's resolve calls `this.reject` itself when the reply cannot be converted.
  command.resolve = (value) => {
    const out = resolve(value);
    if (open) settled(undefined);
    return out;
  };
}

/**
 * Called by a connection's `sendCommand` wrapper for each command, with the connection's status.
 * While 'connect', the connection sends its own handshake (HELLO, CLIENT, the ready check's
 * INFO), which is no caller's operation. A caller's command first seen in that window (a round
 * trip or two per connection) goes unobserved.
 */
export function observeSent(slot: ObserverSlot, status: string, command: CommandInternals): void {
  if (slot.observer !== undefined && status !== 'connect') observeFirstPass(slot, command);
}

/**
 * Report the commands of `connection`, a connection opened beside `shared` for the same work (a
 * hit tracker's near-cache connection, which carries counting that would otherwise go through
 * `shared`), to the observer attached to `shared` whenever one is: an instrumented pool then
 * times them with the shared client's commands. Nothing happens when `shared` is not a pool's
 * shared client. The handshake (commands sent while connecting) is not reported.
 */
export function observeBeside(shared: Redis | Cluster, connection: Redis): void {
  const slot = slots.get(shared);
  if (slot === undefined) return;
  const target = redisInternals(connection);
  const send = target.sendCommand;
  target.sendCommand = function (this: unknown, command, ...rest) {
    observeSent(slot, target.status, command);
    return send.call(this, command, ...rest);
  };
}

/**
 * Attach `observer` to a pool's shared client (`pool.client`); returns how to detach it.
 * Commands already on their way when it detaches are not reported.
 *
 * @throws {PoolError} when `client` is not a pool's shared client, or already has an observer.
 */
export function observeCommands(client: Redis | Cluster, observer: CommandObserver): () => void {
  const slot = slots.get(client);
  if (slot === undefined) {
    throw new PoolError(
      "observeCommands() takes a pool's shared client (pool.client); this client is not one.",
    );
  }
  if (slot.observer !== undefined) {
    throw new PoolError(
      'This shared client already has a command observer; detach it before attaching another.',
    );
  }
  slot.observer = observer;
  return () => {
    if (slot.observer === observer) slot.observer = undefined;
  };
}
