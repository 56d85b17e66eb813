/** How acknowledged increments compare with what Redis holds afterwards. */
export interface LedgerComparison {
  /** Increments acknowledged to callers. */
  acknowledged: number;
  /** Sum of the counters read back from Redis. */
  final: number;
  /** Acknowledged increments missing from Redis, summed per key (never negative per key). */
  lost: number;
  /** Increments in Redis that no caller saw acknowledged (failed calls that were applied, resends). */
  extra: number;
  /** Keys whose counter is below what was acknowledged. */
  keysLost: string[];
}

/** Increments acknowledged to callers, per key, to compare with the counters left in Redis. */
export class AckLedger {
  readonly #acks = new Map<string, number>();

  ack(key: string, by = 1): void {
    this.#acks.set(key, (this.#acks.get(key) ?? 0) + by);
  }

  get keys(): string[] {
    return [...this.#acks.keys()];
  }

  get total(): number {
    let sum = 0;
    for (const count of this.#acks.values()) sum += count;
    return sum;
  }

  /** Compare with `final` (every key this ledger acknowledged must be present; a missing key reads 0). */
  compare(final: ReadonlyMap<string, number>): LedgerComparison {
    const result: LedgerComparison = {
      acknowledged: 0,
      final: 0,
      lost: 0,
      extra: 0,
      keysLost: [],
    };
    const keys = new Set([...this.#acks.keys(), ...final.keys()]);
    for (const key of keys) {
      const acked = this.#acks.get(key) ?? 0;
      const held = final.get(key) ?? 0;
      result.acknowledged += acked;
      result.final += held;
      if (held < acked) {
        result.lost += acked - held;
        result.keysLost.push(key);
      } else result.extra += held - acked;
    }
    return result;
  }
}
