import { EventEmitter } from 'node:events';
import { hasSubscribers, publish } from './diagnostics.js';
import type { PoolEvent, PoolEventMap, PoolListener } from './types.js';
import { scrub } from './url.js';

/**
 * A pool's events: listeners through an EventEmitter, the same payloads on
 * `diagnostics_channel`, and every error message scrubbed of credentials first.
 */
export class PoolEvents {
  readonly #emitter = new EventEmitter();
  /** Listeners per event, kept by the emitter's own add/remove notifications (once included). */
  // All keys present from the start, so V8 keeps this a fast-properties object.
  readonly #listening: Record<string, number> = {
    create: 0,
    destroy: 0,
    acquire: 0,
    release: 0,
    timeout: 0,
    leak: 0,
    reclaim: 0,
    down: 0,
    up: 0,
    error: 0,
    newListener: 0,
    removeListener: 0,
  };

  constructor(
    private readonly pool: string,
    private readonly secrets: readonly string[],
  ) {
    this.#emitter.on('newListener', (event: string) => {
      this.#listening[event] = (this.#listening[event] ?? 0) + 1;
    });
    this.#emitter.on('removeListener', (event: string) => {
      this.#listening[event] = (this.#listening[event] ?? 1) - 1;
    });
  }

  on<E extends PoolEvent>(event: E, listener: PoolListener<E>): void {
    this.#emitter.on(event, listener);
  }

  off<E extends PoolEvent>(event: E, listener: PoolListener<E>): void {
    this.#emitter.off(event, listener);
  }

  once<E extends PoolEvent>(event: E, listener: PoolListener<E>): void {
    this.#emitter.once(event, listener);
  }

  /** Cheap check for the hot path: is anyone listening (here or on the channel)? */
  wants(event: PoolEvent): boolean {
    return (this.#listening[event] ?? 0) > 0 || hasSubscribers(event);
  }

  emit<E extends Exclude<PoolEvent, 'error'>>(event: E, payload: PoolEventMap[E]): void {
    if (hasSubscribers(event)) publish(event, payload);
    if ((this.#listening[event] ?? 0) > 0) this.#emitter.emit(event, payload);
  }

  /** `error` goes only to listeners that exist: an unheard pool error must never crash the process. */
  error(error: Error): void {
    const safe = this.redact(error);
    if (hasSubscribers('error')) publish('error', { pool: this.pool, error: safe });
    if ((this.#listening.error ?? 0) > 0) this.#emitter.emit('error', safe);
  }

  /** `error` itself, or a copy whose message no longer contains a secret. */
  redact(error: Error): Error {
    const message = this.message(error);
    if (message === error.message) return error;
    const copy = new Error(message);
    copy.name = error.name;
    return copy;
  }

  /** The error's message with every secret replaced by `***`. */
  message(error: Error): string {
    return scrub(error.message, this.secrets);
  }
}
