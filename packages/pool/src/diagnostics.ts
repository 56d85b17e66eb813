import { channel } from 'node:diagnostics_channel';
import type { PoolEvent, PoolEventMap } from './types.js';

/** Prefix of the `diagnostics_channel` names: `hitpool:pool:acquire`, `hitpool:pool:leak`, … */
export const CHANNEL_PREFIX = 'hitpool:pool:';

// Channels are global by name, so two copies of this module publish on the same channels.
const channels = {
  create: channel(`${CHANNEL_PREFIX}create`),
  destroy: channel(`${CHANNEL_PREFIX}destroy`),
  acquire: channel(`${CHANNEL_PREFIX}acquire`),
  release: channel(`${CHANNEL_PREFIX}release`),
  timeout: channel(`${CHANNEL_PREFIX}timeout`),
  leak: channel(`${CHANNEL_PREFIX}leak`),
  reclaim: channel(`${CHANNEL_PREFIX}reclaim`),
  down: channel(`${CHANNEL_PREFIX}down`),
  up: channel(`${CHANNEL_PREFIX}up`),
  error: channel(`${CHANNEL_PREFIX}error`),
} as const;

/** True when someone subscribed to the channel of `event`. */
export function hasSubscribers(event: PoolEvent): boolean {
  return channels[event].hasSubscribers;
}

/** Publish `payload` on `hitpool:pool:<event>` (the `error` channel gets `{ pool, error }`). */
export function publish<E extends PoolEvent>(event: E, payload: unknown): void {
  channels[event].publish(payload);
}

/** Message shapes on each channel. */
export type PoolChannelMessage<E extends PoolEvent> = E extends 'error'
  ? { pool: string; error: Error }
  : PoolEventMap[E];
