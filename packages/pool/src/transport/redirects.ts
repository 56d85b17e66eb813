/**
 * How a Cluster client follows redirects. ioredis retries MOVED up to 16 times with no pause
 * (all within a few ms, while a failover's nodes still disagree about a slot: "Too many
 * Cluster redirections") and, with a `natMap`, stores the unmapped address a MOVED names, so
 * its next try goes to a random master. Here a redirected command goes again after
 * {@link REDIRECT_BACKOFF_MS}, a MOVED straight to the node it names (through `natMap`), until
 * the rounds or the command's time budget run out; then the caller hears the redirect's error.
 * Only replies that prove the command did not run are followed this way (MOVED, ASK, TRYAGAIN,
 * CLUSTERDOWN); everything else keeps ioredis's own handling.
 */
import type { Cluster } from 'ioredis';
import { now } from './deadlines.js';
import { clusterInternals } from './ioredis-internals.js';

/**
 * Pause before each further round of a redirected command, in ms. The first retry goes out at
 * once; later ones back off, so a failover window in which nodes still disagree about a slot is
 * waited out instead of burning every redirect within a millisecond. About 0.8 s in all.
 */
export const REDIRECT_BACKOFF_MS: readonly number[] = [0, 20, 50, 100, 200, 400];

/** The replies that prove a command did not run on the node that sent them. */
export type RedirectKind = 'MOVED' | 'ASK' | 'TRYAGAIN' | 'CLUSTERDOWN';

/** The redirect a reply's message asks for, if any. */
export function redirectOf(message: string): RedirectKind | undefined {
  const space = message.indexOf(' ');
  const word = space === -1 ? message : message.slice(0, space);
  return word === 'MOVED' || word === 'ASK' || word === 'TRYAGAIN' || word === 'CLUSTERDOWN'
    ? word
    : undefined;
}

/** What the policy keeps per command, on the object ioredis gives `handleError` per command. */
interface RedirectState {
  hitpoolRounds?: number;
  hitpoolGiveUpAt?: number;
}

/**
 * Make `cluster` follow redirects by the policy above, within `budgetMs` from the first
 * redirect of a command (its deadline: the sweeper rejects it at its own deadline anyway).
 */
export function followRedirects(cluster: Cluster, budgetMs: number): void {
  const target = clusterInternals(cluster);
  const ioredisHandling = target.handleError;
  target.handleError = function (this: unknown, error, ttl, handlers) {
    const kind = redirectOf(error.message);
    if (kind === undefined) return ioredisHandling.call(this, error, ttl, handlers);
    const state = ttl as RedirectState;
    const round = state.hitpoolRounds ?? 0;
    state.hitpoolRounds = round + 1;
    state.hitpoolGiveUpAt ??= now() + budgetMs;
    const giveUpAt = state.hitpoolGiveUpAt;
    const wait = REDIRECT_BACKOFF_MS[round];
    if (wait === undefined || now() + wait >= giveUpAt) return handlers.defaults();
    const [, slotText = '', address = ''] = error.message.split(' ');
    const slot = Number(slotText);
    if (kind === 'ASK') {
      // ioredis sends ASKING to the importing node; the slot has not moved yet.
      handlers.ask(slot, address);
      return;
    }
    let retry: () => void;
    if (kind === 'MOVED') {
      const mapped = target.natMapper(address);
      retry = () => handlers.moved(slot, `${mapped.host}:${mapped.port}`);
    } else {
      // No node named: ask again once the slot table was refreshed.
      cluster.refreshSlotsCache();
      retry = kind === 'TRYAGAIN' ? handlers.tryagain : handlers.clusterDown;
    }
    if (wait === 0 && kind === 'MOVED') return retry();
    setTimeout(
      retry,
      Math.max(wait, kind === 'MOVED' ? 0 : (REDIRECT_BACKOFF_MS[1] ?? 20)),
    ).unref();
  };
}
