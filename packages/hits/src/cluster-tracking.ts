import { redirectOf } from '@hitpool/pool/transport';
import type { Cluster, Redis } from 'ioredis';
import type { NearCache } from './cache.js';
import { keySlot } from './slot.js';
import { TrackingLink } from './tracking.js';

/** Least time between two comparisons of the slot owners prompted by a master without a link, ms. */
const OWNER_CHECK_MS = 100;

/**
 * The near cache's tracking on a Cluster: a {@link TrackingLink} (two connections of the
 * tracker's own) per master, each reading and tracking the keys of its slots.
 *
 * Keys change masters in two ways. A slot migration deletes each key from the old master as it
 * moves, and that deletion reaches this process as an invalidation like any write. A failover
 * (or any other change of a slot's master the Cluster client learns of) does not: the old
 * master's connections may stay open while writes go elsewhere, so every copy is dropped when
 * the slot table changes owners, and reads go to the new masters' links from then on.
 */
export class ClusterTracking {
  readonly #links = new Map<string, TrackingLink>();
  /** Who owned each slot when the copies held now were read ('' before the first table). */
  #owners = '';
  /** When a slot owned by a master without a link last made it compare owners again. */
  #checkedAt = Number.NEGATIVE_INFINITY;
  #closed = false;
  readonly #onRefresh = () => this.#refresh();

  /** @param commandTimeoutMs see {@link TrackingLink}. */
  constructor(
    private readonly cluster: Cluster,
    private readonly cache: NearCache,
    private readonly commandTimeoutMs: number,
  ) {
    cluster.on('refresh', this.#onRefresh);
    this.#refresh();
  }

  /** Every master's link is set up. */
  get live(): boolean {
    if (this.#links.size === 0) return false;
    for (const link of this.#links.values()) if (!link.live) return false;
    return true;
  }

  /** The link of the master serving `key` is set up: a read of it may be kept. */
  liveFor(key: string): boolean {
    const owner = this.#ownerOf(key);
    if (owner === undefined) return false;
    const link = this.#links.get(owner);
    if (link === undefined) {
      // The Cluster client learned of a master this tracking does not know (it follows a MOVED
      // at once, and refreshes its whole table only later): compare the owners now, at most
      // every OWNER_CHECK_MS.
      const now = performance.now();
      if (now - this.#checkedAt >= OWNER_CHECK_MS) {
        this.#checkedAt = now;
        this.#refresh();
      }
      return false;
    }
    return link.live;
  }

  /**
   * Reads `keys`, each on the tracking connection of its master, all masters at once: per key its
   * value, the error Redis gave, or `undefined` when it could not be read there (no link to its
   * master, a link that failed, or a redirect because the slot table is behind).
   */
  async read(keys: readonly string[]): Promise<Array<string | null | Error | undefined>> {
    const byLink = new Map<TrackingLink, number[]>();
    const values = new Array<string | null | Error | undefined>(keys.length);
    let moved = false;
    keys.forEach((key, i) => {
      const link = this.#linkOf(key);
      if (link === undefined) return;
      const indexes = byLink.get(link);
      if (indexes) indexes.push(i);
      else byLink.set(link, [i]);
    });
    await Promise.all(
      Array.from(byLink, async ([link, indexes]) => {
        const read = await link
          .read(indexes.map((i) => keys[i] as string))
          .catch(() => indexes.map(() => undefined));
        indexes.forEach((index, j) => {
          const value = read[j];
          const redirect = value instanceof Error ? redirectOf(value.message) : undefined;
          if (redirect === 'MOVED') moved = true;
          values[index] = redirect === undefined ? value : undefined;
        });
      }),
    );
    if (moved) this.#moved();
    return values;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.cluster.off('refresh', this.#onRefresh);
    await Promise.all(Array.from(this.#links.values(), (link) => link.close()));
    this.#links.clear();
  }

  /** The master serving `key`'s slot, as the Cluster client's table has it. */
  #ownerOf(key: string): string | undefined {
    return this.cluster.slots[keySlot(key)]?.[0];
  }

  #linkOf(key: string): TrackingLink | undefined {
    const owner = this.#ownerOf(key);
    return owner === undefined ? undefined : this.#links.get(owner);
  }

  /**
   * A master answered MOVED for a slot the table gave it: the slot changed masters (a failover,
   * or a migration that ended), and a table refreshed meanwhile may have come from a node that
   * had not heard yet. Every copy is dropped and the table is asked for again; the owners it
   * then gives are taken as they are.
   */
  #moved(): void {
    if (this.#closed) return;
    if (this.#owners !== '') this.cache.reset();
    this.#owners = '';
    this.cluster.refreshSlotsCache();
  }

  /** The slot table changed (or is first known): follow its masters. */
  #refresh(): void {
    if (this.#closed) return;
    const owners = this.cluster.slots.map((nodes) => nodes[0] ?? '').join(',');
    if (owners === this.#owners) return;
    const first = this.#owners === '';
    this.#owners = owners;
    if (!first) this.cache.reset();
    const masters = new Map<string, Redis>();
    for (const node of this.cluster.nodes('master'))
      masters.set(`${node.options.host}:${node.options.port}`, node);
    for (const [address, link] of this.#links)
      if (!masters.has(address)) {
        this.#links.delete(address);
        void link.close();
      }
    for (const [address, node] of masters)
      if (!this.#links.has(address))
        this.#links.set(
          address,
          new TrackingLink(node, this.cache, this.commandTimeoutMs, true, this.cluster),
        );
  }
}
